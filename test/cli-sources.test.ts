// `scripts/admin endpoints create --source …`: a GitHub endpoint gets a generated secret and the
// setup hint, and a delivery signed with it by GitHub's own library is archived.

import { randomUUID } from 'node:crypto';
import { sign as githubSign } from '@octokit/webhooks-methods';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../apps/cli/cli';
import { type Stack, startStack } from './helpers/stack';

let stack: Stack;
let env: Record<string, string>;

async function cli(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
    env,
  });
  return { code, stdout, stderr };
}

beforeAll(async () => {
  stack = await startStack();
  env = { API_URL: stack.baseUrl, ADMIN_API_KEY: (await stack.newTenant()).adminKey };
});
afterAll(() => stack?.close());

describe('admin CLI with sources', () => {
  it('creates a GitHub endpoint whose secret signs real deliveries', async () => {
    const r = await cli(['endpoints', 'create', '--name', 'gh', '--source', 'github']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('GitHub');
    expect(r.stdout).toContain('Settings → Webhooks');
    const url = /URL:\s+(\S+)/.exec(r.stdout)![1]!;
    const secret = /Secret:\s+(whsec_\S+)/.exec(r.stdout)![1]!;
    const body = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
    const delivery = randomUUID();
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'ping',
        'x-github-delivery': delivery,
        'x-hub-signature-256': await githubSign(secret, body),
      },
      body,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'accepted', external_id: delivery });

    const list = await cli(['endpoints', 'list']);
    expect(list.stdout).toMatch(/gh\s+github/);
  });

  it('passes a tool-issued secret and JSON settings through, and explains misuse', async () => {
    const stripe = await cli([
      'endpoints',
      'create',
      '--name',
      's',
      '--source',
      'stripe',
      '--secret',
      'whsec_from_stripe_123',
      '--json',
    ]);
    expect(stripe.code, stripe.stderr).toBe(0);
    expect(JSON.parse(stripe.stdout)).toMatchObject({
      secret: 'whsec_from_stripe_123',
      endpoint: { source: 'stripe' },
    });

    const custom = await cli([
      'endpoints',
      'create',
      '--name',
      'c',
      '--source',
      'custom-hmac',
      '--custom-hmac',
      '{"header":"X-Sig","algorithm":"sha512"}',
      '--mapping',
      '{"externalId":{"pointer":"/id"}}',
      '--json',
    ]);
    expect(custom.code, custom.stderr).toBe(0);
    expect(JSON.parse(custom.stdout).endpoint.sourceConfig).toMatchObject({
      customHmac: { header: 'x-sig', algorithm: 'sha512' },
      mapping: { externalId: { pointer: '/id' } },
    });

    const cases: [string[], number, string][] = [
      [['--source', 'gitlab'], 2, '--source must be one of'],
      [['--source', 'github', '--auth', 'hmac'], 2, '--auth is for'],
      [['--source', 'custom-hmac', '--custom-hmac', '{nope'], 2, '--custom-hmac must be JSON'],
      [['--source', 'stripe'], 1, 'secret'],
    ];
    for (const [extra, code, message] of cases) {
      const r = await cli(['endpoints', 'create', '--name', 'x', ...extra]);
      expect(r.code, extra.join(' ')).toBe(code);
      expect(r.stderr).toContain(message);
    }
  });
});

// The admin CLI, in-process against a real stack: every command, its human and JSON output, and
// how it fails (usage, configuration, API errors, an unreachable archive). No output may ever
// carry the admin key or a stack trace.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../apps/cli/cli';
import { createAdminClient } from '../apps/cli/connection';
import { describeFailure } from '../apps/cli/errors';
import { attachments, messages } from '../db/schema';
import { freePort } from './helpers/ports';
import { type Stack, startStack } from './helpers/stack';

const WARNING = 'This secret is shown only once. Store it now; rotate if lost.';
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('admin CLI', () => {
  let stack: Stack;
  let adminKey: string;
  let env: Record<string, string | undefined>;
  const adminKeys: string[] = [];
  const everything: string[] = [];

  async function cli(argv: string[], withEnv: Record<string, string | undefined> = env): Promise<Run> {
    let stdout = '';
    let stderr = '';
    const code = await runCli(argv, {
      stdout: (s) => {
        stdout += s;
      },
      stderr: (s) => {
        stderr += s;
      },
      env: withEnv,
    });
    everything.push(stdout, stderr);
    return { code, stdout, stderr };
  }

  async function create(name: string, ...extra: string[]) {
    const r = await cli(['endpoints', 'create', '--name', name, '--auth', 'bearer', ...extra]);
    expect(r.code, r.stderr).toBe(0);
    const id = UUID.exec(r.stdout)?.[0];
    const secret = /Secret:\s+(whsec_\S+)/.exec(r.stdout)?.[1];
    const url = /URL:\s+(\S+)/.exec(r.stdout)?.[1];
    expect(id && secret && url).toBeTruthy();
    return { id: id!, secret: secret!, url: url! };
  }

  // An empty payload: past the endpoint and auth checks it fails validation (422), so these
  // probes never start an archive workflow.
  const probeIngest = (url: string, secret: string) =>
    fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: '{}',
    }).then((r) => r.status);

  beforeAll(async () => {
    // No worker: nothing here needs a message archived (rows are inserted directly).
    stack = await startStack({ worker: false });
    ({ adminKey } = await stack.newTenant());
    adminKeys.push(adminKey);
    env = { API_URL: stack.baseUrl, ADMIN_API_KEY: adminKey };
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('prints usage for --help and help', async () => {
    for (const argv of [['--help'], ['help'], ['endpoints', 'create', '-h']]) {
      const r = await cli(argv, {});
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Usage: scripts/admin');
      expect(r.stdout).toContain('endpoints create --name NAME --auth bearer|hmac');
      expect(r.stderr).toBe('');
    }
  });

  it('creates a bearer endpoint: URL, secret and the once-only warning', async () => {
    const r = await cli(['endpoints', 'create', '--name', 'billing', '--auth', 'bearer']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`URL:\\s+${stack.baseUrl}/webhooks/incoming/in/\\S+`));
    expect(r.stdout).toMatch(/Secret:\s+whsec_\S+/);
    expect(r.stdout).toContain(WARNING);
    expect(r.stdout).toContain('Authorization: Bearer <secret>');
    expect(r.stderr).toBe('');
  });

  it('creates an hmac endpoint with an allowlist (repeated and comma-separated --allow)', async () => {
    const r = await cli([
      'endpoints',
      'create',
      '--name',
      'crm',
      '--auth',
      'hmac',
      '--allow',
      '10.1.2.3/8, 192.168.1.1',
      '--allow',
      '2001:db8::/32',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/auth:\s+hmac/);
    expect(r.stdout).toMatch(/allowlist:\s+10\.0\.0\.0\/8, 192\.168\.1\.1\/32, 2001:db8::\/32/);
    expect(r.stdout).toMatch(/Secret:\s+whsec_\S+/);
    expect(r.stdout).toContain('X-Comma-Signature');
    expect(r.stdout).toContain(WARNING);
  });

  it('lists endpoints as an aligned table', async () => {
    await create('listed-endpoint');
    const r = await cli(['endpoints', 'list']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+AUTH\s+STATE\s+ALLOWLIST\s+CREATED$/);
    const row = lines.find((l) => l.includes('listed-endpoint'));
    expect(row).toBeDefined();
    // Columns line up: NAME starts at the same offset in the header and in every row.
    expect(row!.indexOf('listed-endpoint')).toBe(lines[0]!.indexOf('NAME'));
    expect(row).toMatch(/bearer\s+enabled\s+any address/);
  });

  it('shows one endpoint as key: value lines', async () => {
    const { id, url } = await create('shown');
    const r = await cli(['endpoints', 'show', id]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^id:\\s+${id}$`, 'm'));
    expect(r.stdout).toMatch(/^name:\s+shown$/m);
    expect(r.stdout).toMatch(/^auth:\s+bearer$/m);
    expect(r.stdout).toMatch(/^state:\s+enabled$/m);
    expect(r.stdout).toContain(url);
    expect(r.stdout).not.toContain('whsec_');
  });

  it('updates the name and the allowlist, and clears the allowlist', async () => {
    const { id } = await create('before');
    let r = await cli([
      'endpoints',
      'update',
      id,
      '--name',
      'after',
      '--allow',
      '203.0.113.7,198.51.100.0/24',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^name:\s+after$/m);
    expect(r.stdout).toMatch(/^allowlist:\s+203\.0\.113\.7\/32, 198\.51\.100\.0\/24$/m);

    r = await cli(['endpoints', 'show', id]);
    expect(r.stdout).toMatch(/^name:\s+after$/m);

    r = await cli(['endpoints', 'update', id, '--clear-allowlist']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^allowlist:\s+any address$/m);
  });

  it('rejects an invalid CIDR with exit 1 and a readable message naming the bad entry', async () => {
    const { id } = await create('cidr-check');
    const r = await cli(['endpoints', 'update', id, '--allow', '10.0.0.0/8', '--allow', 'not-an-ip']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('error: BAD_REQUEST: invalid input');
    expect(r.stderr).toContain('--allow (entry 2): not a valid IP address or CIDR range: not-an-ip');
    expect(r.stderr).not.toContain('[{');
    expect(r.stderr).not.toContain('"code"');
    // Nothing was changed.
    expect((await cli(['endpoints', 'show', id])).stdout).toMatch(/^allowlist:\s+any address$/m);

    const c = await cli(['endpoints', 'create', '--name', 'x', '--auth', 'hmac', '--allow', '300.1.1.1']);
    expect(c.code).toBe(1);
    expect(c.stderr).toContain('300.1.1.1');
  });

  it('reports a malformed id readably', async () => {
    const r = await cli(['endpoints', 'show', 'not-a-uuid']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: BAD_REQUEST: invalid input\n {2}<id>: /);
  });

  it('disables and enables an endpoint; show reflects it', async () => {
    const { id, url, secret } = await create('toggled');
    let r = await cli(['endpoints', 'disable', id]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('disabled');
    expect((await cli(['endpoints', 'show', id])).stdout).toMatch(/^state:\s+disabled$/m);
    expect(await probeIngest(url, secret)).toBe(403);

    r = await cli(['endpoints', 'enable', id]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('enabled');
    expect((await cli(['endpoints', 'show', id])).stdout).toMatch(/^state:\s+enabled$/m);
    expect(await probeIngest(url, secret)).toBe(422);
  });

  it('rotates the secret: a new one, shown once; the old one stops working', async () => {
    const { id, url, secret } = await create('rotated');
    const r = await cli(['endpoints', 'rotate', id]);
    expect(r.code, r.stderr).toBe(0);
    const rotated = /Secret:\s+(whsec_\S+)/.exec(r.stdout)?.[1];
    expect(rotated).toBeDefined();
    expect(rotated).not.toBe(secret);
    expect(r.stdout).toContain(url);
    expect(r.stdout).toContain(WARNING);
    expect(await probeIngest(url, secret)).toBe(401);
    expect(await probeIngest(url, rotated!)).toBe(422);
  });

  it('deletes an endpoint; show then fails with NOT_FOUND and exit 1', async () => {
    const { id } = await create('doomed');
    const r = await cli(['endpoints', 'delete', id]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Deleted endpoint ${id}`);
    const s = await cli(['endpoints', 'show', id]);
    expect(s.code).toBe(1);
    expect(s.stdout).toBe('');
    expect(s.stderr).toBe(`error: NOT_FOUND: endpoint ${id} not found\n`);
  });

  it('prints raw results as JSON with --json', async () => {
    const c = await cli(['endpoints', 'create', '--json', '--name', 'scripted', '--auth', 'hmac']);
    expect(c.code, c.stderr).toBe(0);
    const created = JSON.parse(c.stdout) as { endpoint: { id: string; url: string }; secret: string };
    expect(created.secret).toMatch(/^whsec_/);
    expect(created.endpoint.url).toContain('/webhooks/incoming/in/');

    const l = await cli(['--json', 'endpoints', 'list']);
    const list = JSON.parse(l.stdout) as { id: string; name: string }[];
    expect(list.find((e) => e.id === created.endpoint.id)?.name).toBe('scripted');

    const s = await cli(['endpoints', 'show', created.endpoint.id, '--json']);
    expect(JSON.parse(s.stdout)).toMatchObject({ id: created.endpoint.id, authMode: 'hmac', enabled: true });

    const d = await cli(['endpoints', 'disable', created.endpoint.id, '--json']);
    expect(JSON.parse(d.stdout)).toMatchObject({ enabled: false });
  });

  it('lists messages on an empty tenant', async () => {
    const { adminKey: emptyKey } = await stack.newTenant();
    adminKeys.push(emptyKey);
    const emptyEnv = { API_URL: stack.baseUrl, ADMIN_API_KEY: emptyKey };
    const r = await cli(['messages', 'list'], emptyEnv);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('No messages.\n');
    const j = await cli(['messages', 'list', '--json'], emptyEnv);
    expect(JSON.parse(j.stdout)).toEqual({ items: [], nextCursor: null });
    expect((await cli(['endpoints', 'list'], emptyEnv)).stdout).toContain('No endpoints yet');
  });

  it('lists, pages and shows messages', async () => {
    const { tenantId, adminKey: key } = await stack.newTenant();
    adminKeys.push(key);
    const e = { API_URL: stack.baseUrl, ADMIN_API_KEY: key };
    const r = await cli(['endpoints', 'create', '--name', 'inbox', '--auth', 'bearer', '--json'], e);
    const { endpoint } = JSON.parse(r.stdout) as { endpoint: { id: string } };

    // Rows as the archive workflow writes them, inserted directly: this file tests the CLI, not
    // the workflow (test/smoke.test.ts covers ingest end to end).
    const row = (externalId: string, receivedAt: string) => ({
      id: randomUUID(),
      tenantId,
      endpointId: endpoint.id,
      externalId,
      occurredAt: new Date('2026-05-28T14:30:00Z'),
      receivedAt: new Date(receivedAt),
      from: { identifier: 'alice@example.com', display_name: 'Alice' },
      to: [{ identifier: 'bob@example.com' }],
      body: 'hello\nworld \u001b[31mred',
      rawSha256: 'a'.repeat(64),
      rawSize: 185,
      requestId: randomUUID(),
      workflowId: `archive-${externalId}`,
      status: 'archived' as const,
    });
    const [m1, m2] = [row('m-1', '2026-06-01T10:00:00Z'), row('m-2', '2026-06-01T11:00:00Z')];
    await stack.database.db.insert(messages).values([m1, m2]);
    await stack.database.db.insert(attachments).values({
      tenantId,
      messageId: m1.id,
      ordinal: 0,
      filename: 'invoice.pdf',
      contentType: 'application/pdf',
      source: 'inline',
      size: 1234,
      sha256: 'b'.repeat(64),
      status: 'stored',
    });

    const list = await cli(['messages', 'list', '--endpoint', endpoint.id], e);
    expect(list.code, list.stderr).toBe(0);
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+RECEIVED\s+STATUS\s+EXTERNAL ID\s+FROM$/);
    expect(lines[1]).toMatch(
      new RegExp(`^${m2.id}\\s+2026-06-01T11:00:00.000Z\\s+archived\\s+m-2\\s+Alice <alice@example.com>$`),
    );
    expect(lines[2]).toContain(m1.id);

    const first = await cli(['messages', 'list', '--limit', '1'], e);
    expect(first.stdout).toContain(m2.id);
    expect(first.stdout).toContain('More messages: messages list --limit 1 --cursor ');
    const cursor = /--cursor (\S+)/.exec(first.stdout)?.[1];
    const second = await cli(['messages', 'list', '--limit', '1', '--cursor', cursor!, '--json'], e);
    const page = JSON.parse(second.stdout) as { items: { id: string }[]; nextCursor: string | null };
    expect(page.items.map((m) => m.id)).toEqual([m1.id]);
    expect(page.nextCursor).toBeNull();

    const show = await cli(['messages', 'show', m1.id], e);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/^external id:\s+m-1$/m);
    expect(show.stdout).toMatch(/^to:\s+bob@example.com$/m);
    expect(show.stdout).toContain('body:\n  hello\n  world \\x1b[31mred\n');
    expect(show.stdout).toMatch(
      /^attachments \(1\):\n\s+#\s+FILENAME.*\n\s+0\s+invoice\.pdf\s+application\/pdf\s+1234\s+stored/m,
    );

    const other = await cli(['messages', 'show', m1.id]);
    expect(other.code).toBe(1);
    expect(other.stderr).toBe(`error: NOT_FOUND: message ${m1.id} not found\n`);

    const tooMany = await cli(['messages', 'list', '--limit', '500'], e);
    expect(tooMany.code).toBe(1);
    expect(tooMany.stderr).toMatch(/^error: BAD_REQUEST: invalid input\n {2}--limit: /);
    const badCursor = await cli(['messages', 'list', '--cursor', 'nope'], e);
    expect(badCursor.stderr).toBe('error: BAD_REQUEST: invalid cursor\n');
  });

  it('reads the key from --key-file and the URL from --api-url', async () => {
    const dir = mkdtempSync(path.join(stack.deps.config.DATA_DIR, 'cli-'));
    const file = path.join(dir, 'key');
    writeFileSync(file, `  ${adminKey}\n`);
    const r = await cli(['endpoints', 'list', '--key-file', file, '--api-url', `${stack.baseUrl}/`], {
      API_URL: 'http://127.0.0.1:1',
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('billing');

    // The default: DATA_DIR/admin-key.
    writeFileSync(path.join(dir, 'admin-key'), adminKey);
    const d = await cli(['endpoints', 'list'], { API_URL: stack.baseUrl, DATA_DIR: dir });
    expect(d.code, d.stderr).toBe(0);
  });

  it('exits 2 with a how-to when no admin key can be found', async () => {
    const empty = mkdtempSync(path.join(stack.deps.config.DATA_DIR, 'nokey-'));
    const r = await cli(['endpoints', 'list'], { API_URL: stack.baseUrl, DATA_DIR: empty });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('no admin key found');
    expect(r.stderr).toContain('ADMIN_API_KEY');
    expect(r.stderr).toContain('--key-file');

    const f = await cli(['endpoints', 'list', '--key-file', path.join(empty, 'missing')], env);
    expect(f.code).toBe(2);
    expect(f.stderr).toContain('cannot read the admin key file');
  });

  it('reports a wrong admin key as UNAUTHORIZED', async () => {
    const r = await cli(['endpoints', 'list'], { API_URL: stack.baseUrl, ADMIN_API_KEY: 'wa_admin_wrong' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: UNAUTHORIZED: missing or invalid admin API key\n/);
  });

  it('exits 2 with the usage for unknown commands and missing arguments', async () => {
    const cases: [string[], string][] = [
      [[], 'error: missing command'],
      [['frobnicate'], 'error: unknown command: frobnicate'],
      [['endpoints', 'frobnicate'], 'error: unknown command: endpoints frobnicate'],
      [['endpoints'], 'error: endpoints: missing subcommand'],
      [['endpoints', 'show'], 'error: endpoints show: missing <id>'],
      [['messages', 'show'], 'error: messages show: missing <id>'],
      [['endpoints', 'create', '--auth', 'bearer'], 'error: endpoints create: missing --name'],
      [['endpoints', 'create', '--name', 'x'], 'error: endpoints create: missing --auth'],
      [['endpoints', 'create', '--name', 'x', '--auth', 'basic'], '--auth must be bearer or hmac'],
      [['endpoints', 'update', '00000000-0000-4000-8000-000000000000'], 'nothing to update'],
      [['endpoints', 'list', '--bogus'], 'error: unknown option --bogus'],
      [['endpoints', 'list', '--name', 'x'], 'option --name does not apply'],
      [['messages', 'list', '--limit', 'ten'], '--limit must be a whole number'],
    ];
    for (const [argv, message] of cases) {
      const r = await cli(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(message);
      expect(r.stderr).toContain('Usage: scripts/admin');
    }
  });

  it('exits 1 with "cannot reach" when nothing listens at API_URL', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const r = await cli(['endpoints', 'list'], { API_URL: url, ADMIN_API_KEY: adminKey });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: cannot reach the archive at ${url} (is scripts/start running?)\n`);
  });

  it('gives up on an archive that never answers', async () => {
    const hung = createServer(() => {});
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(hung.address() as AddressInfo).port}`;
    try {
      const api = createAdminClient({ apiUrl: url, adminKey }, 300);
      const failure = await api.endpoints.list.query().catch((e: unknown) => e);
      expect(describeFailure(failure, url)).toBe(`error: no answer within 0.3s from the archive at ${url}`);
    } finally {
      hung.closeAllConnections();
      hung.close();
    }
  });

  it('never echoes the admin key, even when it is pasted as an argument', async () => {
    const r = await cli(['endpoints', 'show', adminKey]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('BAD_REQUEST');
    const u = await cli(['endpoints', 'show', 'x', adminKey]);
    expect(u.code).toBe(2);
    expect(u.stderr).toContain('[redacted]');
  });

  it('escapes control characters so stored values cannot drive the terminal', async () => {
    const { id } = await create('evil\u001b[2J\u001b]0;pwned\u0007name\u202e');
    const list = await cli(['endpoints', 'list']);
    const show = await cli(['endpoints', 'show', id]);
    for (const out of [list.stdout, show.stdout]) {
      expect(out).toContain('evil\\x1b[2J\\x1b]0;pwned\\x07name\\u202e');
      for (const c of ['\u001b', '\u0007', '\u202e']) expect(out).not.toContain(c);
    }
    const json = await cli(['endpoints', 'show', id, '--json']);
    for (const c of ['\u001b', '\u0007']) expect(json.stdout).not.toContain(c);
    expect(JSON.parse(json.stdout).name).toBe('evil\u001b[2J\u001b]0;pwned\u0007name\u202e');
  });

  it('runs as scripts/admin does, with the exit status set', async () => {
    const run = (args: string[], extraEnv: Record<string, string>) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          ['--import', 'tsx', 'apps/cli/main.ts', ...args],
          { env: { ...process.env, ...extraEnv }, cwd: process.cwd() },
          (err, stdout, stderr) => {
            everything.push(stdout, stderr);
            resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr });
          },
        );
      });
    const ok = await run(['endpoints', 'list'], env as Record<string, string>);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('billing');
    const usage = await run(['nope'], {});
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('error: unknown command: nope');
    const notFound = await run(
      ['endpoints', 'show', '00000000-0000-4000-8000-000000000000'],
      env as Record<string, string>,
    );
    expect(notFound.code).toBe(1);
    expect(notFound.stderr).toBe(
      'error: NOT_FOUND: endpoint 00000000-0000-4000-8000-000000000000 not found\n',
    );
  });

  it('no output ever contained an admin key or a stack trace', () => {
    expect(everything.length).toBeGreaterThan(50);
    for (const text of everything) {
      for (const key of adminKeys) expect(text).not.toContain(key);
      expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);
    }
  });
});

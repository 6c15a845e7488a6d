// scripts/tenant: the operator's way to create tenants and admin keys, run as a real process
// against the test database; the keys it prints work on the admin API, scoped to their tenant.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseUrl } from './helpers/database';
import { type Stack, startStack } from './helpers/stack';
import { adminClient } from './helpers/trpc-client';

const run = promisify(execFile);

async function tenantCli(...args: string[]) {
  try {
    const { stdout, stderr } = await run('scripts/tenant', args, {
      env: { ...process.env, DATABASE_URL: await testDatabaseUrl(), LOG_LEVEL: 'silent' },
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('scripts/tenant', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ worker: false });
  });
  afterAll(() => stack?.close());

  it('creates a tenant whose key works and sees only its own endpoints; add-key adds a second key', async () => {
    const created = await tenantCli('create', '--name', 'acme', '--retention-days', '2200');
    expect(created.code, created.stderr).toBe(0);
    const tenantId = /tenant:\s+(\S+)/.exec(created.stdout)?.[1];
    const key = /admin key:\s+(wa_admin_\S+)/.exec(created.stdout)?.[1];
    expect(tenantId && key).toBeTruthy();
    expect(created.stdout).toContain('2200 days');

    const api = adminClient(stack.baseUrl, key!);
    const { endpoint } = await api.endpoints.create.mutate({ name: 'acme-crm', authMode: 'bearer' });
    const other = adminClient(stack.baseUrl, (await stack.newTenant()).adminKey);
    await expect(other.endpoints.get.query({ id: endpoint.id })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
    });

    const added = await tenantCli('add-key', '--tenant', tenantId!, '--name', 'second');
    expect(added.code, added.stderr).toBe(0);
    const key2 = /admin key:\s+(wa_admin_\S+)/.exec(added.stdout)?.[1];
    expect(key2).not.toBe(key);
    const list = await adminClient(stack.baseUrl, key2!).endpoints.list.query();
    expect(list.map((e) => e.id)).toContain(endpoint.id);
  }, 60_000);

  it('refuses bad input with exit 2 and a clear message', async () => {
    const noName = await tenantCli('create');
    expect(noName.code).toBe(2);
    expect(noName.stderr).toContain('--name is required');
    const badTenant = await tenantCli('add-key', '--tenant', 'nope');
    expect(badTenant.code).toBe(2);
    const unknown = await tenantCli('add-key', '--tenant', '00000000-0000-4000-8000-000000000000');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('not found');
  }, 60_000);
});

// The CLI's archive commands against a real stack: search, verify, and downloads that stream
// from WORM storage with the SHA-256 checked on the server and again in the CLI.
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../apps/cli/cli';
import { attachmentKey } from '../worm/keys';
import { type Stack, startStack } from './helpers/stack';
import { adminClient } from './helpers/trpc-client';
import { type Ack, postBearer, samplePayload } from './helpers/webhooks';

const PDF = Buffer.from('%PDF-1.7\nthe quarterly report\n');
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe('scripts/admin messages search|verify|download', () => {
  let stack: Stack;
  let env: Record<string, string>;
  let tenantId: string;
  let ack: Ack;
  let raw: string;
  let outDir: string;

  const cli = async (...argv: string[]) => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), env });
    return { code, stdout, stderr };
  };

  beforeAll(async () => {
    stack = await startStack();
    const t = await stack.newTenant();
    tenantId = t.tenantId;
    env = { API_URL: stack.baseUrl, ADMIN_API_KEY: t.adminKey };
    const api = adminClient(stack.baseUrl, t.adminKey);
    const { endpoint, secret } = await api.endpoints.create.mutate({ name: 'cli', authMode: 'bearer' });
    const payload = samplePayload({
      body: 'Quarterly numbers for the zebrafish project',
      ticket: { id: 'INC-4711', priority: 'high' },
      attachments: [
        { filename: 'q.pdf', content_type: 'application/pdf', content_base64: PDF.toString('base64') },
      ],
    });
    raw = JSON.stringify(payload);
    ack = (await (await postBearer(endpoint.url, secret, raw)).json()) as Ack;
    // expect.poll belongs to tests; a plain wait here.
    for (
      let i = 0;
      (await api.messages.get.query({ id: ack.message_id }).catch(() => null))?.status !== 'archived';
      i++
    ) {
      if (i > 100) throw new Error('message was not archived in time');
      await new Promise((r) => setTimeout(r, 200));
    }
    outDir = mkdtempSync(path.join(stack.dir, 'out-'));
  });
  afterAll(() => stack?.close());

  it('counts messages by status and shows the backlog', async () => {
    const human = await cli('messages', 'counts');
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/archived:\s+1/);
    expect(human.stdout).toMatch(/backlog:\s+0 acknowledged, not yet archived/);
    const json = await cli('messages', 'counts', '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({
      archived: 1,
      total: 1,
      backlog: { messages: 0, bytes: 0 },
    });
  });

  it('searches by text and by extra field', async () => {
    const r = await cli('messages', 'search', '--q', 'zebrafish');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(ack.message_id);
    const byExtra = await cli('messages', 'search', '--extra', '{"ticket":{"priority":"high"}}', '--json');
    expect(JSON.parse(byExtra.stdout).items.map((m: { id: string }) => m.id)).toEqual([ack.message_id]);
    const none = await cli('messages', 'search', '--q', 'nonexistentword');
    expect(none.stdout).toContain('No matching messages');
    expect((await cli('messages', 'search', '--attachments', 'maybe')).code).toBe(2);
  });

  it('downloads the raw body and an attachment, verified', async () => {
    const rawOut = path.join(outDir, 'raw.json');
    const r = await cli('messages', 'download', ack.message_id, '--out', rawOut);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(rawOut, 'utf8')).toBe(raw);
    expect(r.stdout).toContain(sha(raw));

    const pdfOut = path.join(outDir, 'q.pdf');
    expect(
      (await cli('messages', 'download', ack.message_id, '--attachment', '0', '--out', pdfOut)).code,
    ).toBe(0);
    expect(readFileSync(pdfOut)).toEqual(PDF);

    const missing = await cli('messages', 'download', ack.message_id, '--attachment', '7', '--out', pdfOut);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('not_found');
  });

  it('verify passes, then catches a tampered object; the download is cut short', async () => {
    const ok = await cli('messages', 'verify', ack.message_id, '--json');
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).ok).toBe(true);

    // Tamper with the sealed attachment on disk (root can; the store's files are read-only).
    const file = path.join(stack.wormDir, attachmentKey(tenantId, ack.message_id, sha(raw), 0));
    chmodSync(file, 0o644);
    writeFileSync(file, Buffer.from('%PDF-1.7\nthe quarterly REPORT\n'));
    const bad = await cli('messages', 'verify', ack.message_id);
    expect(bad.code).toBe(1);
    const dl = await cli(
      'messages',
      'download',
      ack.message_id,
      '--attachment',
      '0',
      '--out',
      path.join(outDir, 'x.pdf'),
    );
    expect(dl.code).toBe(1);
  });

  it('another tenant cannot download', async () => {
    const other = await stack.newTenant();
    const res = await fetch(`${stack.baseUrl}/api/messages/${ack.message_id}/raw`, {
      headers: { authorization: `Bearer ${other.adminKey}` },
    });
    expect(res.status).toBe(404);
    const anon = await fetch(`${stack.baseUrl}/api/messages/${ack.message_id}/raw`);
    expect(anon.status).toBe(401);
  });
});

// The Exports page in real Chromium on the real stack: create an export with filters (window,
// endpoint, search, formats), watch its progress reach completed, and download the bundle: a zip
// whose bytes hash to what the API announces and that the offline verifier passes, holding
// exactly the messages the filters chose.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBundle, verifyBundle } from '../../export/verify';
import { launchChromium, signIn } from '../helpers/browser';
import { type Stack, startStack } from '../helpers/stack';
import { adminClient } from '../helpers/trpc-client';
import { postBearer, samplePayload } from '../helpers/webhooks';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let stack: Stack;
let browser: Browser;
let page: Page;
let api: ReturnType<typeof adminClient>;
let adminKey: string;
let endpointId: string;
const wanted: string[] = [];
const pageErrors: string[] = [];

/** What a datetime-local input takes: local time, to the minute. */
const localInput = (d: Date) =>
  new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);

beforeAll(async () => {
  execFileSync(path.join(ROOT, 'scripts/build-web'), { stdio: 'inherit' });
  stack = await startStack();
  ({ adminKey } = await stack.newTenant());
  api = adminClient(stack.baseUrl, adminKey);
  const a = await api.endpoints.create.mutate({ name: 'export-a', authMode: 'bearer' });
  const b = await api.endpoints.create.mutate({ name: 'export-b', authMode: 'bearer' });
  endpointId = a.endpoint.id;
  // Endpoint A: three invoices and two others; endpoint B: an invoice the endpoint filter leaves out.
  const sends: [typeof a, string][] = [
    [a, 'invoice 1001 paid'],
    [a, 'weekly report'],
    [a, 'invoice 1002 overdue'],
    [a, 'lunch order'],
    [a, 'invoice 1003 disputed'],
    [b, 'invoice 2001 paid'],
  ];
  const ids: string[] = [];
  for (const [ep, body] of sends) {
    const res = await postBearer(ep.endpoint.url, ep.secret, samplePayload({ body }));
    expect(res.status).toBe(200);
    const ack = (await res.json()) as { message_id: string };
    ids.push(ack.message_id);
    if (ep === a && body.startsWith('invoice')) wanted.push(ack.message_id);
  }
  for (let i = 0; ; i++) {
    const got = await Promise.all(ids.map((id) => api.messages.get.query({ id }).catch(() => null)));
    if (got.every((m) => m?.status === 'archived')) break;
    if (i > 240) throw new Error('messages not archived in time');
    await new Promise((r) => setTimeout(r, 250));
  }

  browser = await launchChromium();
  const context = await browser.newContext({ baseURL: stack.baseUrl, acceptDownloads: true });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await signIn(page, adminKey);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('the Exports page', () => {
  it('creates a filtered export, follows it to completed, and downloads a bundle that verifies', async () => {
    await page.goto('/exports');
    await page.getByRole('heading', { name: 'Exports', level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'No exports yet' }).waitFor();

    const form = page.getByRole('form', { name: 'New export' });
    await form.getByLabel('Received from').fill(localInput(new Date(Date.now() - 3_600_000)));
    await form.getByLabel('to', { exact: true }).fill(localInput(new Date(Date.now() + 600_000)));
    await form.getByLabel('Endpoint id').fill(endpointId);
    await form.getByLabel('Search').fill('invoice');
    await form.getByLabel('rsmf').uncheck();
    await form.getByRole('button', { name: 'Start export' }).click();

    const row = page.getByTestId('exports-table').locator('tbody tr').first();
    const state = row.getByTestId('export-state');
    // The export waits for the log's next sealed checkpoint (≤ 10 s), then builds.
    await expect
      .poll(async () => (await state.textContent()) ?? '', { timeout: 120_000, interval: 250 })
      .toMatch(/completed · 3\/3/);
    expect(await row.locator('progress').getAttribute('value')).toBe('100');
    await expect.poll(() => row.textContent()).toContain('eml, jsonl');

    const id = (await row.getAttribute('data-export-id')) as string;
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      row.getByRole('button', { name: `Download export ${id}` }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`export-${id}.zip`);
    const file = (await download.path()) as string;
    const bytes = readFileSync(file);
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('PK\x03\x04');
    const announced = await api.exports.get.query({ id });
    expect(announced).toMatchObject({ state: 'completed', progress: { done: 3, total: 3 } });
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(announced.sha256);

    const report = await verifyBundle(file);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.messages).toBe(3);
    const entries = await readBundle(file);
    const lines = (entries.get('messages.jsonl')?.text ?? '').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { message_id: string }).message_id).sort()).toEqual(
      [...wanted].sort(),
    );
    expect([...entries.keys()].some((n) => n.startsWith('rsmf/'))).toBe(false);
    expect([...entries.keys()].filter((n) => n.startsWith('eml/'))).toHaveLength(3);
    expect(pageErrors).toEqual([]);
  }, 180_000);
});

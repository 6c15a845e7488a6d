// The endpoint page's traffic chart and request log in a real browser: the chart renders (a
// uPlot canvas), its totals match requests.traffic, and the Requests table shows reasons and
// filters by status.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, signIn } from '../helpers/browser';
import { type Stack, startStack } from '../helpers/stack';
import { adminClient } from '../helpers/trpc-client';
import { postBearer, postHmac, samplePayload } from '../helpers/webhooks';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let stack: Stack;
let browser: Browser;
let page: Page;
let api: ReturnType<typeof adminClient>;
let adminKey: string;
let endpointId: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  execFileSync(path.join(ROOT, 'scripts/build-web'), { stdio: 'inherit' });
  stack = await startStack({ worker: false });
  ({ adminKey } = await stack.newTenant());
  api = adminClient(stack.baseUrl, adminKey);
  const { endpoint, secret } = await api.endpoints.create.mutate({ name: 'charted', authMode: 'hmac' });
  endpointId = endpoint.id;
  const first = samplePayload();
  for (const p of [first, samplePayload(), samplePayload(), first])
    expect((await postHmac(endpoint.url, secret, p)).status).toBe(200);
  for (let i = 0; i < 2; i++)
    expect((await postBearer(endpoint.url, 'wrong', samplePayload())).status).toBe(401);
  await stack.deps.requestLog!.flush();

  browser = await launchChromium();
  const context = await browser.newContext({
    baseURL: stack.baseUrl,
    viewport: { width: 1366, height: 900 },
  });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (err) => pageErrors.push(err.message));
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('endpoint traffic in the browser', () => {
  it('draws the chart and its totals match the API', async () => {
    await signIn(page, adminKey);
    await page.goto(`/endpoints/${endpointId}`);
    await page.getByRole('heading', { name: 'Traffic' }).waitFor();

    const canvas = page.getByTestId('traffic-chart').locator('canvas');
    await canvas.waitFor();
    const box = await canvas.boundingBox();
    expect(box!.width).toBeGreaterThan(200);
    expect(box!.height).toBeGreaterThan(100);
    // The legend names the three series.
    for (const label of ['Accepted', 'Duplicate', 'Refused'])
      await page.getByTestId('traffic-chart').getByText(label, { exact: true }).waitFor();

    const api24h = await api.requests.traffic.query({ endpointId, range: '24h' });
    expect(api24h.totals).toEqual({ accepted: 3, duplicate: 1, refused: { unauthorized: 2 } });
    expect(await page.getByTestId('traffic-accepted').textContent()).toBe('3');
    expect(await page.getByTestId('traffic-duplicate').textContent()).toBe('1');
    expect(await page.getByTestId('traffic-refused').textContent()).toBe('2');
    expect(await page.getByTestId('traffic-latency').textContent()).toMatch(
      /^[\d.]+ ms \/ [\d.]+ ms \/ [\d.]+ ms$/,
    );
    // The series drawn sum to the same totals (per-minute buckets of the last 24 hours).
    const bucketSum = api24h.buckets.reduce((a, b) => a + b.accepted, 0);
    expect(bucketSum).toBe(3);

    await page.getByRole('button', { name: 'Last 7 days' }).click();
    await expect
      .poll(() => page.getByRole('button', { name: 'Last 7 days' }).getAttribute('aria-pressed'))
      .toBe('true');
    const api7d = await api.requests.traffic.query({ endpointId, range: '7d' });
    expect(api7d.bucketSeconds).toBe(3600);
    expect(await page.getByTestId('traffic-accepted').textContent()).toBe(String(api7d.totals.accepted));
    expect(pageErrors).toEqual([]);
  });

  it('lists requests with their reasons and filters by status', async () => {
    const table = page.getByTestId('requests-table');
    await table.waitFor();
    expect(await table.locator('tbody tr').count()).toBe(6);
    await table.getByText('signature_missing').first().waitFor();
    await page.getByLabel('Status filter').selectOption('401');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(2);
    expect(await table.locator('tbody').textContent()).not.toContain('accepted');
  });
});

// Operating the archive from the Messages pages in a real browser: the volume chart (a uPlot
// canvas) renders for the current filter and its totals match messages.volume; and a message
// whose archiving failed for real is reprocessed with the message page's button.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { and, eq, sql } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../db/schema';
import { launchChromium, signIn } from '../helpers/browser';
import { type Stack, startStack } from '../helpers/stack';
import { adminClient } from '../helpers/trpc-client';
import { type Ack, postBearer, samplePayload } from '../helpers/webhooks';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let stack: Stack;
let browser: Browser;
let page: Page;
let api: ReturnType<typeof adminClient>;
let adminKey: string;
let tenantId: string;
let failedId: string;
const pageErrors: string[] = [];
// A constraint the message row breaks: the one message carrying this body fails for real.
const poison = `poison-${randomUUID()}`;
const constraint = `test_e2e_reprocess_${randomUUID().replaceAll('-', '')}`;

const status = async (id: string) => (await api.messages.get.query({ id }).catch(() => null))?.status;

beforeAll(async () => {
  execFileSync(path.join(ROOT, 'scripts/build-web'), { stdio: 'inherit' });
  stack = await startStack();
  ({ adminKey, tenantId } = await stack.newTenant());
  api = adminClient(stack.baseUrl, adminKey);
  await stack.database.db.execute(
    sql.raw(
      `alter table messages add constraint ${constraint} check (body is distinct from '${poison}') not valid`,
    ),
  );
  const { endpoint, secret } = await api.endpoints.create.mutate({ name: 'ops', authMode: 'bearer' });
  const occurred_at = new Date().toISOString(); // inside the chart's default window
  const acks: Ack[] = [];
  for (const body of ['one', 'two', 'three', poison]) {
    const res = await postBearer(endpoint.url, secret, samplePayload({ body, occurred_at }));
    acks.push((await res.json()) as Ack);
  }
  failedId = acks.at(-1)!.message_id;
  for (
    let i = 0;
    (await status(failedId)) !== 'failed' || (await status(acks[2]!.message_id)) !== 'archived';
    i++
  ) {
    if (i > 150) throw new Error('messages did not settle in time');
    await new Promise((r) => setTimeout(r, 200));
  }

  browser = await launchChromium();
  const context = await browser.newContext({
    baseURL: stack.baseUrl,
    viewport: { width: 1366, height: 900 },
  });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await signIn(page, adminKey);
}, 120_000);
afterAll(async () => {
  await stack?.database.db.execute(sql.raw(`alter table messages drop constraint if exists ${constraint}`));
  await browser?.close();
  await stack?.close();
});

describe('the Messages page volume chart', () => {
  it('draws the chart and its totals match messages.volume, for the current filter', async () => {
    await page.goto('/messages');
    await page.getByRole('heading', { name: 'Volume' }).waitFor();
    const canvas = page.getByTestId('volume-chart').locator('canvas');
    await canvas.waitFor();
    const box = await canvas.boundingBox();
    expect(box!.width).toBeGreaterThan(200);
    expect(box!.height).toBeGreaterThan(100);
    for (const label of ['Archived', 'In progress', 'Failed'])
      await page.getByTestId('volume-chart').getByText(label, { exact: true }).waitFor();

    // The page's default: by occurred date, per day, the last 30 days.
    const all = await api.messages.volume.query({ by: 'occurred', bucket: 'day' });
    expect(all.totals).toMatchObject({ total: 4, archived: 3, failed: 1 });
    expect(await page.getByTestId('volume-total').textContent()).toBe('4');
    expect(await page.getByTestId('volume-archived').textContent()).toBe('3');
    expect(await page.getByTestId('volume-in-progress').textContent()).toBe('0');
    expect(await page.getByTestId('volume-failed').textContent()).toBe('1');
    expect(all.buckets.reduce((a, b) => a + b.total, 0)).toBe(4);

    // A filter narrows the chart exactly as it narrows the list.
    await page.getByRole('checkbox', { name: 'failed' }).check();
    await expect.poll(() => page.getByTestId('volume-total').textContent()).toBe('1');
    const failed = await api.messages.volume.query({ by: 'occurred', bucket: 'day', status: ['failed'] });
    expect(failed.totals.total).toBe(1);
    // The list is a query of its own: it settles on the same filter.
    await expect.poll(() => page.getByTestId('results-summary').textContent()).toMatch(/^1 message\b/);
    expect(pageErrors).toEqual([]);
  });
});

describe('the message page Reprocess button', () => {
  it('re-archives a failed message once its cause is fixed, audited', async () => {
    await page.goto(`/messages/${failedId}`);
    await page.getByText('Processing error').waitFor();
    await stack.database.db.execute(sql.raw(`alter table messages drop constraint ${constraint}`));

    await page.getByRole('button', { name: 'Reprocess…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Reprocess this message?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Reprocess', exact: true }).click();
    await page.getByTestId('reprocess-notice').getByText('Reprocessed').waitFor({ timeout: 30_000 });
    await page.getByText('archived', { exact: true }).first().waitFor();
    expect(await status(failedId)).toBe('archived');
    // Archived: the button is gone, nothing left to reprocess.
    expect(await page.getByRole('button', { name: 'Reprocess…' }).count()).toBe(0);
    expect(await page.getByText('Processing error').count()).toBe(0);

    const audits = await stack.database.db
      .select({ targetId: auditLog.targetId })
      .from(auditLog)
      .where(and(eq(auditLog.tenantId, tenantId), eq(auditLog.action, 'message.reprocessed')));
    expect(audits).toEqual([{ targetId: failedId }]);
    expect(pageErrors).toEqual([]);
  });
});

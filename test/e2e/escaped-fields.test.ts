// The admin UI in a real browser (Chromium via playwright-core): a message whose fields
// PostgreSQL could not hold as sent says so and shows them as sent; an endpoint shows its stuck
// messages.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestReceipts, messages } from '../../db/schema';
import { launchChromium } from '../helpers/browser';
import { type Stack, startStack } from '../helpers/stack';
import { adminClient } from '../helpers/trpc-client';
import { type Ack, postBearer } from '../helpers/webhooks';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let stack: Stack;
let browser: Browser;
let page: Page;
let api: ReturnType<typeof adminClient>;
let tenantId: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  execFileSync(path.join(ROOT, 'scripts/build-web'), { stdio: 'inherit' });
  stack = await startStack();
  const t = await stack.newTenant();
  tenantId = t.tenantId;
  api = adminClient(stack.baseUrl, t.adminKey);
  browser = await launchChromium();
  const context = await browser.newContext({ baseURL: stack.baseUrl });
  // Signed in, as the sign-in page leaves it.
  await context.addInitScript((key) => sessionStorage.setItem('webhook-archive.admin-key', key), t.adminKey);
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (err) => pageErrors.push(err.message));
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('escaped fields and stuck counts in the UI', () => {
  it('the message page names the escaped fields and shows them as sent', async () => {
    const { endpoint, secret } = await api.endpoints.create.mutate({ name: 'awkward', authMode: 'bearer' });
    const raw = `{"external_id":"ui-${randomUUID()}","occurred_at":"2026-05-28T14:30:00Z","from":{"identifier":"alice@example.com","display_name":"Al\\udfaace"},"to":[],"body":"before\\u0000after"}`;
    const ack = (await (await postBearer(endpoint.url, secret, raw)).json()) as Ack;
    await expect
      .poll(async () => (await api.messages.get.query({ id: ack.message_id })).status, { timeout: 30_000 })
      .toBe('archived');

    await page.goto(`/messages/${ack.message_id}`);
    const notice = page.getByTestId('escaped-notice');
    await notice.waitFor();
    const text = await notice.textContent();
    expect(text).toContain('Some fields are stored escaped');
    expect(text).toContain('/from/display_name, /body');
    expect(text).toContain('pua-escape-v1');
    expect(await page.getByTestId('message-body').textContent()).toBe('before\\u0000after');
    expect(await page.getByTestId('message-from').textContent()).toContain('Al\\udfaace');
    expect(pageErrors).toEqual([]);
  });

  it('a message with nothing escaped shows no notice', async () => {
    const { endpoint, secret } = await api.endpoints.create.mutate({ name: 'plain', authMode: 'bearer' });
    const raw = `{"external_id":"ui-${randomUUID()}","occurred_at":"2026-05-28T14:30:00Z","from":{"identifier":"a@example.com"},"to":[],"body":"plain \\\\u0000 text 😀"}`;
    const ack = (await (await postBearer(endpoint.url, secret, raw)).json()) as Ack;
    await expect
      .poll(async () => (await api.messages.get.query({ id: ack.message_id })).status, { timeout: 30_000 })
      .toBe('archived');
    await page.goto(`/messages/${ack.message_id}`);
    await page.getByTestId('message-body').waitFor();
    expect(await page.getByTestId('message-body').textContent()).toBe('plain \\u0000 text 😀');
    expect(await page.getByTestId('escaped-notice').count()).toBe(0);
  });

  it('the endpoint page shows how many messages are stuck', async () => {
    const { endpoint } = await api.endpoints.create.mutate({ name: 'slow', authMode: 'bearer' });
    const id = randomUUID();
    await stack.database.db.insert(messages).values({
      id,
      tenantId,
      endpointId: endpoint.id,
      externalId: `stuck-${id}`,
      receivedAt: new Date(Date.now() - 10 * 60_000),
      rawSha256: '0'.repeat(64),
      rawSize: 2,
      requestId: randomUUID(),
      workflowId: `archive-${id}`,
      status: 'stored',
    });
    // Stuck is counted on receipts: the one the ack wrote for it, started but never finished.
    await stack.database.db.insert(ingestReceipts).values({
      id,
      tenantId,
      endpointId: endpoint.id,
      externalId: `stuck-${id}`,
      receivedAt: new Date(Date.now() - 10 * 60_000),
      rawSha256: '0'.repeat(64),
      rawSize: 2,
      authMode: 'bearer',
      requestId: randomUUID(),
      retentionDays: 1,
      workflowId: `archive-${id}`,
      state: 'started',
      // Out of every relay's way: it stands for a run that keeps retrying.
      nextRelayAt: new Date(Date.now() + 24 * 3600_000),
    });
    await page.goto(`/endpoints/${endpoint.id}`);
    const stuck = page.getByTestId('count-stuck');
    await stuck.waitFor();
    expect(await stuck.textContent()).toBe('1');
    expect(await stuck.getAttribute('class')).toContain('text-danger');
    expect(pageErrors).toEqual([]);
  });
});

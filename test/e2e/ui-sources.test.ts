// SaaS sources in the admin UI, in Chromium against a real stack: create a Stripe endpoint with
// the secret Stripe issued (refused without it), read where to paste the URL, send a delivery signed
// by Stripe's own library, and see it among the endpoint's verified deliveries; rotate to Stripe's
// new secret; a GitHub endpoint gets a generated secret.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { eq } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messages } from '../../db/schema';
import { launchChromium, signIn } from '../helpers/browser';
import { type Stack, startStack } from '../helpers/stack';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const stripeLib = new Stripe('sk_test_not_used_offline');

let stack: Stack;
let adminKey: string;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  execFileSync(path.join(ROOT, 'scripts/build-web'), { stdio: 'inherit' });
  stack = await startStack();
  ({ adminKey } = await stack.newTenant());
  browser = await launchChromium();
  const context = await browser.newContext({
    baseURL: stack.baseUrl,
    viewport: { width: 1366, height: 768 },
  });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (err) => pageErrors.push(err.message));
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

function stripeDelivery(url: string, secret: string, eventId: string) {
  const body = JSON.stringify({
    id: eventId,
    object: 'event',
    created: Math.floor(Date.now() / 1000),
    type: 'invoice.paid',
    data: { object: { id: 'in_1', object: 'invoice' } },
  });
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'stripe-signature': stripeLib.webhooks.generateTestHeaderString({ payload: body, secret }),
    },
    body,
  });
}

describe('sources in the admin UI', () => {
  const stripeSecret = 'whsec_ui_first_stripe_secret_123';
  let url = '';

  it('creates a Stripe endpoint with the tool-issued secret and says where to paste the URL', async () => {
    await signIn(page, adminKey);
    await page.goto('/endpoints/new');
    await page.getByRole('heading', { name: 'New endpoint', level: 1 }).waitFor();
    await page.getByLabel('Sender').selectOption('stripe');
    // The contract's auth modes are for its own producers only.
    expect(await page.getByRole('radio', { name: /Bearer token/ }).count()).toBe(0);
    await page.getByTestId('source-setup').getByText('Developers → Webhooks').waitFor();
    await page.getByLabel('Name', { exact: true }).fill('Stripe billing');
    await page.getByRole('button', { name: 'Create endpoint' }).click();
    await page.getByText('Paste the Signing secret (whsec_…) from Stripe.').waitFor();

    await page.getByLabel('Signing secret (whsec_…)').fill(stripeSecret);
    await page.getByRole('button', { name: 'Create endpoint' }).click();
    const panel = page.getByTestId('secret-panel');
    await panel.waitFor();
    await panel.getByText('Developers → Webhooks').waitFor();
    url = (await page.getByTestId('endpoint-url').textContent()) ?? '';
    expect(url).toMatch(/\/webhooks\/incoming\/in\//);
    await page.getByRole('button', { name: /I've stored the secret/ }).click();
    await page.getByRole('heading', { name: 'Stripe billing', level: 1 }).waitFor();
    expect(await page.getByTestId('endpoint-source').textContent()).toContain('Stripe');
    await page.getByText('No delivery verified yet.').waitFor();
  });

  it('lists a Stripe-signed delivery as verified on the endpoint page', async () => {
    const eventId = `evt_${randomUUID().replaceAll('-', '')}`;
    const res = await stripeDelivery(url, stripeSecret, eventId);
    expect(res.status).toBe(200);
    // The message row is written by the workflow right after the 200.
    await expect
      .poll(
        async () =>
          (await stack.deps.db.select().from(messages).where(eq(messages.externalId, eventId))).length,
        {
          timeout: 20_000,
        },
      )
      .toBe(1);
    await page.reload();
    const deliveries = page.getByTestId('recent-deliveries');
    await deliveries.getByText(eventId).waitFor();
    await deliveries.getByText('Stripe signature verified').first().waitFor();
  });

  it("rotates to Stripe's new secret: the old one is refused at once", async () => {
    await page.getByRole('button', { name: 'Rotate secret…' }).click();
    await page.getByLabel(/New Signing secret/).fill('whsec_ui_second_stripe_secret_456');
    await page.getByRole('button', { name: 'Rotate secret', exact: true }).click();
    await page.getByTestId('secret-panel').waitFor();
    expect((await stripeDelivery(url, stripeSecret, `evt_${randomUUID()}`)).status).toBe(401);
    expect(
      (await stripeDelivery(url, 'whsec_ui_second_stripe_secret_456', `evt_${randomUUID()}`)).status,
    ).toBe(200);
  });

  it('generates the secret for GitHub and shows the GitHub setup', async () => {
    await page.goto('/endpoints/new');
    await page.getByLabel('Sender').selectOption('github');
    await page.getByLabel('Name', { exact: true }).fill('GitHub org');
    await page.getByRole('button', { name: 'Create endpoint' }).click();
    await page.getByTestId('secret-panel').getByText('Settings → Webhooks').waitFor();
    expect(await page.getByTestId('endpoint-secret').textContent()).toMatch(/^whsec_[A-Za-z0-9_-]{20,}$/);
    expect(pageErrors).toEqual([]);
  });
});

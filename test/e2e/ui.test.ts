// The admin web UI in a real browser (Debian's Chromium driven by playwright-core) against a
// real stack: sign in, create an HMAC endpoint, send it a signed webhook, find the message,
// rotate the secret, and see the old secret refused and the new one accepted, over real HTTP.
// A screenshot of each page lands in test-artifacts/screenshots/ (1366×768).
import { execFile, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { eq } from 'drizzle-orm';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminKeys, endpoints, ledgerAudits } from '../../db/schema';
import { sha256Hex } from '../../lib/crypto';
import { launchChromium } from '../helpers/browser';
import { type Stack, startStack } from '../helpers/stack';
import { type Ack, postHmac, samplePayload, sign } from '../helpers/webhooks';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SHOTS = path.join(ROOT, 'test-artifacts/screenshots');

let stack: Stack;
let adminKey: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
const consoleErrors: string[] = [];

// Shared by the steps below, in order.
let endpointUrl = '';
let endpointId = '';
let firstSecret = '';
let secondSecret = '';
const marker = `zebra${randomUUID().slice(0, 8)}`;
const externalId = `e2e-${randomUUID()}`;
let messageId = '';
let workflowId = '';

// Asynchronous on purpose: the server under test runs in this process, so a synchronous child
// that calls it would wait forever.
const run = promisify(execFile);

const nav = (name: string) =>
  page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });

async function shot(name: string, fullPage = false) {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage });
}

/** A GET with the path sent exactly as given (fetch would normalise `..` away). */
function rawGet(url: string, rawPath: string) {
  const u = new URL(url);
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = httpRequest({ host: u.hostname, port: u.port, path: rawPath, method: 'GET' }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    },
  );
}

beforeAll(async () => {
  // Build the UI if it is missing or older than its sources.
  execFileSync(path.join(ROOT, 'scripts/build-web'), { stdio: 'inherit' });
  mkdirSync(SHOTS, { recursive: true });
  stack = await startStack();
  ({ adminKey } = await stack.newTenant());
  browser = await launchChromium();
  context = await browser.newContext({
    acceptDownloads: true,
    baseURL: stack.baseUrl,
    viewport: { width: 1366, height: 768 },
    deviceScaleFactor: 1,
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.baseUrl });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (msg) => {
    // The browser logs every failed fetch: the wrong key and the revoked key (401) and the
    // tampered create (400) below are provoked on purpose.
    if (msg.type() === 'error' && !/status of 40[01]\b/.test(msg.text())) consoleErrors.push(msg.text());
  });
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await stack?.close();
});

describe('serving the UI', () => {
  it('answers page routes with the app shell, assets with long-lived caching, and nothing outside dist', async () => {
    for (const p of ['/', '/endpoints', '/endpoints/new', `/messages/${randomUUID()}`]) {
      const res = await fetch(`${stack.baseUrl}${p}`);
      expect(res.status, p).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(await res.text()).toContain('<div id="root">');
    }
    const html = await (await fetch(stack.baseUrl)).text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    const css = /href="(\/assets\/[^"]+\.css)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const js = await fetch(`${stack.baseUrl}${script}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const etag = js.headers.get('etag')!;
    expect((await fetch(`${stack.baseUrl}${script}`, { headers: { 'if-none-match': etag } })).status).toBe(
      304,
    );
    expect((await fetch(`${stack.baseUrl}${css}`)).headers.get('content-type')).toBe(
      'text/css; charset=utf-8',
    );
    expect((await fetch(`${stack.baseUrl}/favicon.svg`)).headers.get('content-type')).toBe('image/svg+xml');
    const head = await fetch(`${stack.baseUrl}/endpoints`, { method: 'HEAD' });
    expect(head.status).toBe(200);

    // A missing asset is a 404, not the app.
    expect((await fetch(`${stack.baseUrl}/assets/missing-123.js`)).status).toBe(404);
    expect((await fetch(`${stack.baseUrl}/missing.png`)).status).toBe(404);
    // No way out of dist: raw .., encoded .., encoded slashes, backslashes, dotfiles.
    for (const p of [
      '/../package.json',
      '/assets/../../../package.json',
      '/%2e%2e/package.json',
      '/%2e%2e%2fpackage.json',
      '/..%5c..%5cpackage.json',
      '/.env',
      '/%00index.html',
    ]) {
      const res = await rawGet(stack.baseUrl, p);
      expect(res.body, p).not.toContain('"dependencies"');
      expect([200, 400, 404], p).toContain(res.status);
    }
    // API paths keep their JSON 404s; the SPA never answers them.
    for (const p of ['/api/nope', '/trpc', '/webhooks/other', '/healthz/x']) {
      const res = await fetch(`${stack.baseUrl}${p}`);
      expect(res.status, p).toBe(404);
      expect(res.headers.get('content-type'), p).toContain('application/json');
    }
    // Other methods on page paths are not the UI's.
    expect((await fetch(`${stack.baseUrl}/endpoints`, { method: 'POST' })).status).toBe(404);

    const cfg = await fetch(`${stack.baseUrl}/api/ui-config`);
    expect(cfg.status).toBe(200);
    expect(await cfg.json()).toEqual({
      temporalUiUrl: expect.stringMatching(/^https?:\/\/.+[^/]$/),
      namespace: stack.deps.config.TEMPORAL_NAMESPACE,
    });
  });
});

describe('the admin UI in a browser', () => {
  it('signs in with an admin key (and refuses a wrong one)', async () => {
    await page.goto('/');
    await expect.poll(() => page.getByRole('heading', { name: 'Sign in' }).isVisible()).toBe(true);
    await shot('01-sign-in');
    const key = page.getByLabel('API key', { exact: true });
    await key.fill('wa_admin_not-a-real-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That API key was not accepted').waitFor();
    await key.fill(adminKey);
    await key.press('Enter');
    await page.getByRole('heading', { name: 'Inbound endpoints', level: 1 }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('webhook-archive.admin-key'))).toBe(adminKey);
    // A fresh tenant: the empty state with its call to action.
    await page.getByRole('heading', { name: 'No inbound endpoints yet' }).waitFor();
    await shot('02-endpoints-empty');
  });

  it('validates the IP allowlist as you type, and shows the server’s BAD_REQUEST message too', async () => {
    await page.getByRole('link', { name: 'New endpoint' }).click();
    await page.getByRole('heading', { name: 'New endpoint', level: 1 }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('should not exist');
    const allowlist = page.getByLabel(/IP allowlist/);
    await allowlist.fill('10.0.0.0/8\n10.0.0.0/33\n300.1.2.3');
    const errors = page.getByTestId('allowlist-errors');
    await errors.waitFor();
    expect(await errors.textContent()).toContain('Line 2');
    expect(await errors.textContent()).toContain('the prefix must be 0–32 for IPv4');
    expect(await errors.textContent()).toContain('Line 3');
    expect(await allowlist.getAttribute('aria-invalid')).toBe('true');
    await shot('03-new-endpoint-invalid-cidr');
    // Blocked client-side: nothing is sent, focus goes to the field.
    let created = 0;
    page.on('request', (r) => {
      if (r.url().includes('endpoints.create')) created++;
    });
    await page.getByRole('button', { name: 'Create endpoint' }).click();
    expect(created).toBe(0);
    expect(await allowlist.evaluate((el) => el === document.activeElement)).toBe(true);

    // Fixed as you type.
    await allowlist.fill('10.0.0.0/8');
    await errors.waitFor({ state: 'detached' });
    expect(await allowlist.getAttribute('aria-invalid')).toBe('false');

    // The server is the authority: an entry it refuses (sent past the client check) is shown.
    await page.route('**/trpc/endpoints.create*', async (route) => {
      const body = JSON.parse(route.request().postData() ?? '{}') as { ipAllowlist?: string[] };
      body.ipAllowlist = ['10.0.0.0/8', '999.0.0.0/8'];
      await route.continue({ postData: JSON.stringify(body) });
    });
    await page.getByRole('button', { name: 'Create endpoint' }).click();
    await page
      .getByText('Server: IP allowlist entry 2: not a valid IP address or CIDR range: 999.0.0.0/8')
      .waitFor();
    await page.unroute('**/trpc/endpoints.create*');
    const rows = await stack.deps.db.select().from(endpoints).where(eq(endpoints.name, 'should not exist'));
    expect(rows).toHaveLength(0);
  });

  it('creates an HMAC endpoint and shows its URL and secret once', async () => {
    await page.goto('/endpoints/new');
    await page.getByRole('heading', { name: 'New endpoint', level: 1 }).waitFor();
    await page.getByRole('radio', { name: /Bearer token/ }).check();
    await page.getByRole('radio', { name: /HMAC signature/ }).check();
    await page.getByLabel('Name', { exact: true }).fill('E2E HMAC producer');
    await page.getByLabel(/IP allowlist/).fill('127.0.0.0/8\n::1');
    await page.getByText('2 entries OK').waitFor();
    await page.getByRole('button', { name: 'Create endpoint' }).click();

    const panel = page.getByTestId('secret-panel');
    await panel.waitFor();
    await panel.getByText("Copy the secret now — it won't be shown again.").waitFor();
    // What the copy buttons copy is what the page shows.
    endpointUrl = (await page.getByTestId('endpoint-url').textContent()) ?? '';
    firstSecret = (await page.getByTestId('endpoint-secret').textContent()) ?? '';
    expect(endpointUrl).toMatch(new RegExp(`^${stack.baseUrl}/webhooks/incoming/in/[A-Za-z0-9_-]{20,}$`));
    expect(firstSecret).toMatch(/^whsec_[A-Za-z0-9_-]{20,}$/);
    await page.getByRole('button', { name: 'Copy secret' }).click();
    await panel.getByText('Copied to clipboard').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(firstSecret);
    await page.getByRole('button', { name: 'Copy endpoint url' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(endpointUrl);
    await shot('04-endpoint-created-secret');

    await page.getByRole('button', { name: /I've stored the secret/ }).click();
    await page.getByRole('heading', { name: 'E2E HMAC producer', level: 1 }).waitFor();
    endpointId = new URL(page.url()).pathname.split('/').at(-1)!;
    // The secret is gone for good: not on the detail page.
    expect(await page.content()).not.toContain(firstSecret);
  });

  it('accepts a webhook signed with the secret read from the page', async () => {
    const body = JSON.stringify(
      samplePayload({
        external_id: externalId,
        body: `Quarterly audit note ${marker}: please retain.`,
        from: { identifier: 'carol@example.com', display_name: 'Carol Auditor' },
        ticket: { id: 4711, priority: 'high' },
        attachments: [
          {
            filename: 'note.txt',
            content_type: 'text/plain',
            content_base64: Buffer.from('hello').toString('base64'),
          },
        ],
      }),
    );
    const res = await fetch(endpointUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-comma-signature': sign(firstSecret, body) },
      body,
    });
    expect(res.status).toBe(200);
    const ack = (await res.json()) as Ack;
    expect(ack.status).toBe('accepted');
    messageId = ack.message_id;
    workflowId = ack.workflow_id;
  });

  it('lists the endpoint with its counts', async () => {
    await nav('Inbound endpoints').click();
    const table = page.getByTestId('endpoints-table');
    await table.waitFor();
    const row = table.getByRole('row', { name: /E2E HMAC producer/ });
    await row.waitFor();
    expect(await row.textContent()).toContain('HMAC');
    expect(await row.textContent()).toContain('Enabled');
    await expect
      .poll(
        async () => {
          await page.reload();
          await row.waitFor();
          return (await row.getByRole('cell').nth(4).textContent())?.trim();
        },
        { timeout: 20_000 },
      )
      .toBe('1');
    await shot('05-endpoints-list');
  });

  it('finds the message through the Messages search and shows its detail', async () => {
    await nav('Messages').click();
    await page.getByRole('heading', { name: 'Messages', level: 1 }).waitFor();
    const search = page.getByRole('searchbox', { name: 'Search messages' });
    await search.fill(marker);
    const link = page.getByRole('link', { name: externalId });
    // Indexed once persisted by the workflow: Enter again re-runs the search.
    await expect
      .poll(
        async () => {
          await search.press('Enter');
          await page.waitForTimeout(300);
          return link.isVisible();
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe(true);
    expect(new URL(page.url()).searchParams.get('q')).toBe(marker);
    expect(await page.getByTestId('results-summary').textContent()).toContain('1 message');

    // Filters narrow it: with attachments yes, without no; the endpoint filter keeps it.
    await page.getByLabel('Attachments', { exact: true }).selectOption('no');
    await page.getByRole('heading', { name: 'No messages match' }).waitFor();
    await page.getByLabel('Attachments', { exact: true }).selectOption('yes');
    await link.waitFor();
    await page.getByLabel('Endpoint', { exact: true }).selectOption({ label: 'E2E HMAC producer' });
    await link.waitFor();
    await shot('06-messages-search');

    await link.click();
    await page.getByRole('heading', { name: new RegExp(externalId), level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/messages/${messageId}`);
    expect(await page.getByTestId('message-body').textContent()).toContain(marker);
    expect(await page.getByTestId('message-from').textContent()).toContain('Carol Auditor');
    expect(JSON.parse((await page.getByTestId('message-extra').textContent()) ?? '')).toEqual({
      ticket: { id: 4711, priority: 'high' },
    });
    const attachments = page.getByRole('table').filter({ hasText: 'note.txt' });
    await attachments.waitFor();
    expect(await attachments.textContent()).toContain('text/plain');
    expect(await attachments.textContent()).toContain('5 B');
    // The detail page follows the message until it is sealed.
    await page.getByText('archived', { exact: true }).first().waitFor({ timeout: 30_000 });
    await expect
      .poll(async () => attachments.textContent(), { timeout: 20_000 })
      .toContain('2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
    const href = await page.getByTestId('temporal-link').getAttribute('href');
    expect(href).toBe(
      `${(await (await fetch(`${stack.baseUrl}/api/ui-config`)).json()).temporalUiUrl}/namespaces/${stack.deps.config.TEMPORAL_NAMESPACE}/workflows/${encodeURIComponent(workflowId)}`,
    );
    // Download: streamed from WORM storage, hash-checked by the server and by the page.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download note.txt' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('note.txt');
    expect(readFileSync((await download.path())!, 'utf8')).toBe('hello');
    const [rawDownload] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download the raw body as received' }).click(),
    ]);
    expect(JSON.parse(readFileSync((await rawDownload.path())!, 'utf8')).external_id).toBe(externalId);
    // Integrity: re-read from WORM and compared.
    await page.getByRole('button', { name: 'Verify integrity' }).click();
    await page.getByTestId('integrity-panel').getByText('Verified').waitFor();
    await shot('07-message-detail');
    await shot('07-message-detail-full', true);
  });

  it('rotates the secret: the old one is refused (401) at once, the new one accepted', async () => {
    await page.goto(`/endpoints/${endpointId}`);
    await page.getByRole('heading', { name: 'E2E HMAC producer', level: 1 }).waitFor();
    await shot('08-endpoint-detail');

    // The dialog: focus starts on Cancel, Tab stays inside, Escape closes it.
    await page.getByRole('button', { name: 'Rotate secret…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rotate the secret?' });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('The current secret stops working at once.');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => Boolean(document.activeElement?.closest('dialog')))).toBe(true);
    // Centred in the viewport, wherever the page is scrolled.
    const box = await dialog.evaluate((d) => {
      const r = d.getBoundingClientRect();
      return { top: r.top, bottom: window.innerHeight - r.bottom };
    });
    expect(Math.abs(box.top - box.bottom)).toBeLessThan(2);
    await shot('09-rotate-confirm');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Rotate secret…');
    // Still the first secret.
    expect((await postHmac(endpointUrl, firstSecret, samplePayload())).status).toBe(200);

    await page.getByRole('button', { name: 'Rotate secret…' }).click();
    await dialog.getByRole('button', { name: 'Rotate secret' }).click();
    const panel = page.getByTestId('secret-panel');
    await panel.waitFor();
    secondSecret = (await panel.getByTestId('endpoint-secret').textContent()) ?? '';
    expect(await panel.getByTestId('endpoint-url').textContent()).toBe(endpointUrl);
    expect(secondSecret).toMatch(/^whsec_/);
    expect(secondSecret).not.toBe(firstSecret);
    await shot('10-secret-rotated');

    const old = await postHmac(endpointUrl, firstSecret, samplePayload());
    expect(old.status).toBe(401);
    const fresh = await postHmac(endpointUrl, secondSecret, samplePayload());
    expect(fresh.status).toBe(200);
    await page.getByRole('button', { name: "I've stored the new secret" }).click();
    await panel.waitFor({ state: 'detached' });
  });

  it("shows this endpoint's curl and Python examples, and they work as pasted", async () => {
    const python = await page.getByRole('figure').filter({ hasText: 'Python' }).locator('pre').textContent();
    expect(python).toContain(`URL = "${endpointUrl}"`);
    expect(python).toContain('sig = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()');
    expect(python).toContain('X-Comma-Signature');
    const { stdout: out } = await run('python3', ['-c', python!], {
      encoding: 'utf8',
      timeout: 20_000,
      env: { ...process.env, WEBHOOK_SECRET: secondSecret },
    });
    expect(out).toMatch(/^200 .*"status":"(accepted|duplicate)"/);

    const curl = await page.getByRole('figure').filter({ hasText: 'curl' }).locator('pre').textContent();
    expect(curl).toContain(endpointUrl);
    expect(curl).toContain('X-Comma-Signature');
    const script = curl!.replace("export WEBHOOK_SECRET='paste-the-secret-here'", '');
    const { stdout: curlOut } = await run('bash', ['-c', `set -euo pipefail\n${script} -w ' %{http_code}'`], {
      encoding: 'utf8',
      timeout: 20_000,
      env: { ...process.env, WEBHOOK_SECRET: secondSecret },
    });
    expect(curlOut).toMatch(/"status":"duplicate".* 200$/);
  });

  it('disables and re-enables the endpoint', async () => {
    await page.getByRole('button', { name: 'Disable endpoint' }).click();
    await page.getByRole('button', { name: 'Enable endpoint' }).waitFor();
    expect((await postHmac(endpointUrl, secondSecret, samplePayload())).status).toBe(403);
    await page.getByRole('button', { name: 'Enable endpoint' }).click();
    await page.getByRole('button', { name: 'Disable endpoint' }).waitFor();
    expect((await postHmac(endpointUrl, secondSecret, samplePayload())).status).toBe(200);
  });

  it('edits the name and allowlist', async () => {
    const form = page.locator('form').filter({ has: page.getByRole('heading', { name: 'Settings' }) });
    await form.getByLabel('Name', { exact: true }).fill('E2E HMAC producer (renamed)');
    await form.getByLabel(/IP allowlist/).fill('127.0.0.1/8');
    await form.getByText('host bits are set').waitFor();
    await form.getByRole('button', { name: 'Save changes' }).click();
    await form.getByText('Saved.').waitFor();
    await page.getByRole('heading', { name: 'E2E HMAC producer (renamed)', level: 1 }).waitFor();
    // Stored as the network address.
    expect(await form.getByLabel(/IP allowlist/).inputValue()).toBe('127.0.0.0/8');
  });

  it('deletes the endpoint after confirmation', async () => {
    await page.getByRole('button', { name: 'Delete endpoint…' }).click();
    const dialog = page.getByRole('dialog', { name: /Delete “E2E HMAC producer \(renamed\)”\?/ });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Delete endpoint' }).click();
    await page.getByText('was deleted.').waitFor();
    expect(new URL(page.url()).pathname).toBe('/endpoints');
    await page.getByRole('heading', { name: 'No inbound endpoints yet' }).waitFor();
    expect((await postHmac(endpointUrl, secondSecret, samplePayload())).status).toBe(404);
  });

  it('shows the integrity banner on every page while the last ledger audit failed', async () => {
    const [key] = await stack.deps.db
      .select({ tenantId: adminKeys.tenantId })
      .from(adminKeys)
      .where(eq(adminKeys.keyHash, sha256Hex(adminKey)));
    const failed = {
      tenantId: key!.tenantId,
      ranAt: new Date(),
      ok: false,
      treeSize: 1,
      checkedObjects: 3,
      problems: [{ kind: 'object_missing' as const, detail: 'sealed object missing' }],
    };
    await stack.deps.db
      .insert(ledgerAudits)
      .values(failed)
      .onConflictDoUpdate({ target: ledgerAudits.tenantId, set: failed });
    await page.reload();
    const banner = page.getByRole('alert').filter({ hasText: 'Integrity audit failed' });
    await banner.waitFor();
    expect(await banner.textContent()).toContain('1 sealed objects missing');
    await nav('Inbound endpoints').click();
    await banner.waitFor();
    await shot('10b-integrity-banner');
  });

  it('returns to sign-in with a message when the key stops working (401), and signs out', async () => {
    const revoked = await stack.deps.db
      .update(adminKeys)
      .set({ revokedAt: new Date() })
      .where(eq(adminKeys.keyHash, sha256Hex(adminKey)))
      .returning({ id: adminKeys.id });
    expect(revoked).toHaveLength(1);
    await nav('Messages').click();
    await page.getByTestId('signin-notice').waitFor();
    expect(await page.getByTestId('signin-notice').textContent()).toContain('401');
    expect(await page.evaluate(() => sessionStorage.getItem('webhook-archive.admin-key'))).toBeNull();
    await shot('11-signed-out-401');

    // Sign out from a fresh session.
    const { adminKey: other } = await stack.newTenant();
    await page.getByLabel('API key', { exact: true }).fill(other);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Messages', level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'No messages yet' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('webhook-archive.admin-key'))).toBeNull();
  });

  it('ran without script errors or CSP violations', () => {
    expect(pageErrors).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});

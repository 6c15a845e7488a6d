// Single sign-on end to end in real Chromium against a real OpenID provider (oidc-provider, a
// certified implementation) run on loopback by this test: sign in with the authorization code
// flow + PKCE, the role taken from a claim, session cookie flags, CSRF refused, the signed-in
// user's reads in the access audit, and sign-out ending the session on the server.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { eq } from 'drizzle-orm';
import Provider from 'oidc-provider';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeServer, listen } from '../../apps/runtime';
import { auditLog } from '../../db/schema';
import { launchChromium } from '../helpers/browser';
import { freePort } from '../helpers/ports';
import { type Stack, startStack } from '../helpers/stack';
import { adminClient } from '../helpers/trpc-client';
import { type Ack, postBearer, samplePayload } from '../helpers/webhooks';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SHOTS = path.join(ROOT, 'test-artifacts/screenshots');
const CLIENT_ID = 'archive-ui';
const CLIENT_SECRET = `cs-${randomUUID()}`;
const TENANT = `sso-${randomUUID().slice(0, 8)}`;

/** The provider's users: login name → groups claim. */
const GROUPS: Record<string, string[]> = {
  alice: ['staff', 'compliance-auditors'],
  bob: ['compliance'],
  mallory: ['staff'],
  root: ['archive-admins', 'compliance'],
};

let stack: Stack;
let idp: Server;
let idpPort: number;
let browser: Browser;
let messageId: string;

beforeAll(async () => {
  execFileSync(path.join(ROOT, 'scripts/build-web'), { stdio: 'inherit' });
  mkdirSync(SHOTS, { recursive: true });
  idpPort = await freePort();
  const issuer = `http://127.0.0.1:${idpPort}`;
  stack = await startStack({
    env: {
      OIDC_ISSUER: issuer,
      OIDC_CLIENT_ID: CLIENT_ID,
      OIDC_CLIENT_SECRET: CLIENT_SECRET,
      OIDC_SCOPES: 'openid profile groups',
      OIDC_ROLE_CLAIM: 'groups',
      OIDC_ROLE_MAP: 'archive-admins=admin,compliance=reviewer,compliance-auditors=auditor',
      OIDC_TENANT: TENANT,
    },
  });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: [`${stack.baseUrl}/auth/callback`],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    async findAccount(_ctx, id) {
      return {
        accountId: id,
        claims: async () => ({
          sub: id,
          name: `${id[0]!.toUpperCase()}${id.slice(1)} Example`,
          groups: GROUPS[id] ?? [],
        }),
      };
    },
    claims: { openid: ['sub'], profile: ['name'], groups: ['groups'] },
    scopes: ['openid', 'profile', 'groups'],
    // Put the scope's claims in the ID token, as most enterprise IdPs do for groups.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: true } },
    cookies: { keys: [randomUUID()] },
    pkce: { required: () => true },
  });
  idp = createServer(provider.callback());
  await listen(idp, '127.0.0.1', idpPort);

  const { adminKey } = await stack.newTenant(TENANT);
  const api = adminClient(stack.baseUrl, adminKey);
  const { endpoint, secret } = await api.endpoints.create.mutate({ name: 'sso', authMode: 'bearer' });
  const ack = (await (
    await postBearer(endpoint.url, secret, samplePayload({ body: 'sso evidence' }))
  ).json()) as Ack;
  messageId = ack.message_id;
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (idp) await closeServer(idp, 1000);
  await stack?.close();
});

async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: stack.baseUrl, acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return { context, page };
}

/** Through the provider's own login and consent pages, back to the archive. */
async function signIn(page: Page, login: string) {
  await page.goto('/');
  await page.getByTestId('sso-sign-in').click();
  await page.waitForURL(new RegExp(`^http://127\\.0\\.0\\.1:${idpPort}/`));
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  const consent = page.getByRole('button', { name: 'Continue' });
  await page.waitForURL((u) => u.origin === stack.baseUrl || u.pathname.startsWith('/interaction/'));
  if (new URL(page.url()).origin !== stack.baseUrl) {
    await consent.click();
    await page.waitForURL((u) => u.origin === stack.baseUrl);
  }
}

async function sessionCookie(context: BrowserContext) {
  return (await context.cookies(stack.baseUrl)).find((c) => c.name === 'wa_session');
}

function auditEntries(actor: string) {
  return stack.database.db.select().from(auditLog).where(eq(auditLog.actor, actor));
}

describe('single sign-on in a browser', () => {
  it('offers only SSO on the sign-in page when an issuer is configured', async () => {
    const { context, page } = await newPage();
    await page.goto('/');
    await page.getByTestId('sso-sign-in').waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'sso-sign-in.png') });
    expect(await page.getByLabel('API key', { exact: true }).count()).toBe(0);
    const state = await (await fetch(`${stack.baseUrl}/auth/session`)).json();
    expect(state).toEqual({ oidc: true, session: null });
    await context.close();
  });

  it('signs an auditor in (role from the groups claim), with an HttpOnly SameSite=Lax session cookie', async () => {
    const { context, page } = await newPage();
    await signIn(page, 'alice');
    await page.getByTestId('session-role').waitFor();
    expect(await page.getByTestId('session-role').textContent()).toBe('auditor');
    expect(await page.getByTestId('session-user').textContent()).toBe('Alice Example');
    // An auditor sees messages and the audit log, not endpoint settings.
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Messages', exact: true }).waitFor();
    expect(await nav.getByRole('link', { name: 'Audit log' }).count()).toBe(1);
    expect(await nav.getByRole('link', { name: 'Inbound endpoints' }).count()).toBe(0);

    const cookie = await sessionCookie(context);
    expect(cookie).toBeDefined();
    expect(cookie!.httpOnly).toBe(true);
    expect(cookie!.sameSite).toBe('Lax');
    expect(cookie!.secure).toBe(false); // plain http here; Secure whenever PUBLIC_BASE_URL is https
    expect(cookie!.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The page's script cannot read it, and the flow's own cookie is gone.
    expect(await page.evaluate(() => document.cookie)).not.toContain('wa_session');
    expect((await context.cookies(stack.baseUrl)).map((c) => c.name)).not.toContain('wa_oidc_login');

    // Opening a message and downloading its raw body land in the audit log as this user.
    await page.goto(`/messages/${messageId}`);
    await page.getByText('sso evidence').first().waitFor({ timeout: 30_000 });
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download the raw body as received' }).click();
    expect((await download).suggestedFilename()).toMatch(/\.json$/);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
    const table = page.getByTestId('audit-table');
    await table.locator('tr[data-action="message.viewed"]').first().waitFor();
    await table.locator('tr[data-action="message.downloaded"]').first().waitFor();
    expect(await table.locator('tr[data-action="message.viewed"]').first().textContent()).toContain(
      'user:alice',
    );
    await page.screenshot({ path: path.join(SHOTS, 'sso-audit-log.png') });
    const entries = await auditEntries('user:alice');
    expect(entries.map((e) => e.action)).toEqual(
      expect.arrayContaining(['session.signed_in', 'message.viewed', 'message.downloaded']),
    );
    expect(entries.find((e) => e.action === 'session.signed_in')?.details).toMatchObject({ role: 'auditor' });
    // Endpoint settings are refused by the server too, not only hidden.
    const denied = await page.evaluate(async () => {
      const { session } = await (await fetch('/auth/session')).json();
      const res = await fetch('/trpc/endpoints.list', { headers: { 'x-csrf-token': session.csrfToken } });
      return { status: res.status, body: await res.json() };
    });
    expect(denied.status).toBe(403);
    expect(denied.body.error.message).toMatch(/auditor role may not/);
    await context.close();
  });

  it('refuses a cookie-authenticated mutation without the CSRF token, and a cross-site form post', async () => {
    const { context, page } = await newPage();
    await signIn(page, 'bob');
    await page.getByTestId('session-role').waitFor();
    expect(await page.getByTestId('session-role').textContent()).toBe('reviewer');
    const cookie = (await sessionCookie(context))!;

    // From the page itself, but without X-CSRF-Token: 403.
    const without = await page.evaluate(async (id) => {
      const res = await fetch('/trpc/messages.setLegalHold', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id, on: true }),
      });
      return { status: res.status, body: await res.json() };
    }, messageId);
    expect(without.status).toBe(403);
    expect(without.body.error.data.code).toBe('FORBIDDEN');
    expect(without.body.error.message).toMatch(/CSRF/);
    // With the token the page got from /auth/session, the same call is allowed for a reviewer
    // (PRECONDITION_FAILED or success depending on whether the message is sealed yet, never 403).
    const withToken = await page.evaluate(async (id) => {
      const { session } = await (await fetch('/auth/session')).json();
      const res = await fetch('/trpc/messages.verify', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken },
        body: JSON.stringify({ id }),
      });
      return res.status;
    }, messageId);
    expect(withToken).not.toBe(403);
    expect(withToken).toBeLessThan(500);

    // A client that sends the cookie without the token (what a non-SameSite browser would do for
    // a cross-site form): refused, and sign-out is refused too, so the session lives on.
    const headers = { cookie: `wa_session=${cookie.value}`, 'content-type': 'application/json' };
    const forged = await fetch(`${stack.baseUrl}/trpc/messages.setLegalHold`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ id: messageId, on: true }),
    });
    expect(forged.status).toBe(403);
    const wrongToken = await fetch(`${stack.baseUrl}/auth/logout`, {
      method: 'POST',
      headers: { ...headers, 'x-csrf-token': 'guess' },
    });
    expect(wrongToken.status).toBe(403);
    expect((await wrongToken.json()).error.code).toBe('csrf_failed');

    // A real cross-site page auto-submitting a form at the archive: the browser withholds the
    // Lax cookie, and nothing happens to the session.
    const evilPort = await freePort();
    const evil = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(
        `<form id="f" method="POST" action="${stack.baseUrl}/auth/logout"></form><script>document.getElementById('f').submit()</script>`,
      );
    });
    await listen(evil, '127.0.0.1', evilPort);
    try {
      const evilPage = await context.newPage();
      // localhost and 127.0.0.1 are different sites.
      await evilPage.goto(`http://localhost:${evilPort}/`);
      await evilPage.waitForURL((u) => u.origin === stack.baseUrl);
      await evilPage.close();
    } finally {
      await closeServer(evil, 500);
    }
    // The browser kept its cookie too: the post could not even clear it.
    expect((await sessionCookie(context))?.value).toBe(cookie.value);
    // A cross-site link (top-level GET: Lax sends the cookie) cannot read as the user either,
    // so it cannot plant an access in the audit log.
    const before = (await auditEntries('user:bob')).length;
    for (const url of [
      `/api/messages/${messageId}/raw`,
      `/trpc/messages.get?input=${encodeURIComponent(JSON.stringify({ id: messageId }))}`,
    ]) {
      const res = await fetch(`${stack.baseUrl}${url}`, { headers: { cookie: headers.cookie } });
      expect(res.status, url).toBe(403);
    }
    expect((await auditEntries('user:bob')).length).toBe(before);
    const still = await (
      await fetch(`${stack.baseUrl}/auth/session`, { headers: { cookie: headers.cookie } })
    ).json();
    expect(still.session?.role).toBe('reviewer');
    await context.close();
  });

  it('refuses a user whose claims map to no role', async () => {
    const { context, page } = await newPage();
    await signIn(page, 'mallory');
    await page.getByTestId('signin-notice').waitFor();
    expect(await page.getByTestId('signin-notice').textContent()).toContain('no role');
    expect(await sessionCookie(context)).toBeUndefined();
    expect(new URL(page.url()).search).toBe('');
    await context.close();
  });

  it('lets an admin (strongest of several roles) create and revoke an API key in the UI', async () => {
    const { context, page } = await newPage();
    await signIn(page, 'root');
    await page.getByTestId('session-role').waitFor();
    expect(await page.getByTestId('session-role').textContent()).toBe('admin');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('heading', { name: 'API keys', level: 1 }).waitFor();
    const form = page.getByRole('form', { name: 'New API key' });
    await form.getByLabel('Name').fill('regulator export');
    await form.getByLabel('Role').selectOption('auditor');
    await form.getByLabel('Expires in (days)').fill('30');
    await form.getByRole('button', { name: 'Create key' }).click();
    const key = (await page.getByTestId('api-key-value').textContent())!.trim();
    expect(key).toMatch(/^wa_auditor_/);
    await page.screenshot({ path: path.join(SHOTS, 'sso-api-keys.png') });
    const asKey = adminClient(stack.baseUrl, key);
    expect((await asKey.auth.whoami.query()).role).toBe('auditor');

    const row = page.getByTestId('api-keys-table').locator('tr', { hasText: 'regulator export' });
    await row.getByRole('button', { name: 'Revoke regulator export' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
    await expect.poll(() => row.getByTestId('key-state').textContent()).toBe('revoked');
    await expect(asKey.auth.whoami.query()).rejects.toMatchObject({ data: { httpStatus: 401 } });
    const actions = (await auditEntries('user:root')).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['api_key.created', 'api_key.revoked']));
    await context.close();
  });

  it('signs out: the session ends on the server, the old cookie is refused', async () => {
    const { context, page } = await newPage();
    await signIn(page, 'alice');
    await page.getByTestId('session-role').waitFor();
    const old = (await sessionCookie(context))!.value;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByTestId('sso-sign-in').waitFor();
    await expect.poll(async () => (await sessionCookie(context))?.value).toBeUndefined();
    // Replaying the old cookie gets nothing: the row is ended, not just the cookie deleted.
    const replay = await fetch(`${stack.baseUrl}/trpc/messages.list?input=${encodeURIComponent('{}')}`, {
      headers: { cookie: `wa_session=${old}` },
    });
    expect(replay.status).toBe(401);
    const raw = await fetch(`${stack.baseUrl}/api/messages/${messageId}/raw`, {
      headers: { cookie: `wa_session=${old}` },
    });
    expect(raw.status).toBe(401);
    expect((await auditEntries('user:alice')).map((e) => e.action)).toContain('session.signed_out');
    await context.close();
  });
});

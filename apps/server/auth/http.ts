// The web UI's sign-in routes:
//   GET  /auth/session   who is signed in (and the CSRF token), and whether SSO is configured
//   GET  /auth/login     starts the OpenID Connect sign-in (302 to the provider)
//   GET  /auth/callback  the provider's answer: creates the session, 302 to the UI
//   POST /auth/logout    ends the session (needs X-CSRF-Token)
import type { IncomingMessage, ServerResponse } from 'node:http';
import { asc, eq } from 'drizzle-orm';
import { audit } from '../../../db/audit';
import { tenants } from '../../../db/schema';
import type { ServerDeps } from '../deps';
import { HttpError, sendError, sendJson } from '../http/respond';
import { clientIp } from '../ingest/client-ip';
import { createOidcClient, LOGIN_COOKIE, oidcEnabled, SignInError } from './oidc';
import { userActor } from './principal';
import {
  checkCsrf,
  cookieHeader,
  createSession,
  csrfTokenFor,
  endSession,
  readCookie,
  resolveSession,
  SESSION_COOKIE,
} from './session';

export const AUTH_PREFIX = '/auth/';

export function createAuthHandler(deps: ServerDeps) {
  const { config } = deps;
  const secure = config.PUBLIC_BASE_URL.startsWith('https:');
  const oidc = oidcEnabled(config) ? createOidcClient(config, deps.secretBox, deps.log) : null;

  function redirect(res: ServerResponse, location: string, cookies: string[] = []) {
    res.writeHead(302, { location, 'cache-control': 'no-store', 'set-cookie': cookies });
    res.end();
  }

  async function session(req: IncomingMessage, res: ServerResponse) {
    const token = readCookie(req, SESSION_COOKIE);
    const row = token ? await resolveSession(deps.db, token) : null;
    sendJson(res, 200, {
      oidc: oidc !== null,
      session:
        row && token
          ? {
              role: row.role,
              subject: row.subject,
              displayName: row.displayName,
              expiresAt: row.expiresAt.toISOString(),
              csrfToken: csrfTokenFor(token),
            }
          : null,
    });
  }

  async function login(res: ServerResponse) {
    if (!oidc) throw new HttpError('oidc_not_configured', 'single sign-on is not configured');
    const start = await oidc.startLogin();
    redirect(res, start.url, [
      cookieHeader(LOGIN_COOKIE, start.cookie, { secure, path: '/auth/', maxAge: start.maxAge }),
    ]);
  }

  async function callback(req: IncomingMessage, res: ServerResponse) {
    if (!oidc) throw new HttpError('oidc_not_configured', 'single sign-on is not configured');
    const clearLogin = cookieHeader(LOGIN_COOKIE, '', { secure, path: '/auth/', maxAge: 0 });
    try {
      const user = await oidc.finishLogin(
        new URL(req.url ?? '/', config.PUBLIC_BASE_URL),
        readCookie(req, LOGIN_COOKIE),
      );
      const [tenant] = await deps.db
        .select({ id: tenants.id })
        .from(tenants)
        .where(eq(tenants.name, config.OIDC_TENANT))
        .orderBy(asc(tenants.createdAt))
        .limit(1);
      if (!tenant) throw new HttpError('tenant_not_found', `no tenant named ${config.OIDC_TENANT}`);
      const sourceIp = clientIp(req, config.TRUSTED_PROXIES);
      const created = await createSession(deps.db, {
        tenantId: tenant.id,
        ...user,
        sourceIp,
        ttlSeconds: config.SESSION_TTL_SECONDS,
      });
      await audit(deps.db, {
        tenantId: tenant.id,
        actor: userActor(user.subject),
        action: 'session.signed_in',
        targetType: 'ui_session',
        targetId: created.id,
        sourceIp,
        details: { issuer: user.issuer, role: user.role, displayName: user.displayName },
      });
      redirect(res, '/', [
        clearLogin,
        cookieHeader(SESSION_COOKIE, created.token, { secure, maxAge: config.SESSION_TTL_SECONDS }),
      ]);
    } catch (err) {
      if (!(err instanceof SignInError)) throw err;
      deps.log.info({ code: err.code, reason: err.message }, 'OIDC sign-in refused');
      redirect(res, `/?auth_error=${err.code}`, [clearLogin]);
    }
  }

  async function logout(req: IncomingMessage, res: ServerResponse) {
    const token = readCookie(req, SESSION_COOKIE);
    // No cookie, nothing to end: and no Set-Cookie, so a cross-site form post (which the browser
    // sends without the Lax cookie) cannot even clear the user's cookie.
    if (!token) return sendJson(res, 200, { signedOut: true });
    if (!checkCsrf(req, token)) {
      throw new HttpError('csrf_failed', 'missing or invalid CSRF token (X-CSRF-Token)');
    }
    const ended = await endSession(deps.db, token);
    if (ended) {
      await audit(deps.db, {
        tenantId: ended.tenantId,
        actor: userActor(ended.subject),
        action: 'session.signed_out',
        targetType: 'ui_session',
        targetId: ended.id,
        sourceIp: clientIp(req, config.TRUSTED_PROXIES),
      });
    }
    sendJson(
      res,
      200,
      { signedOut: true },
      { 'set-cookie': cookieHeader(SESSION_COOKIE, '', { secure, maxAge: 0 }) },
    );
  }

  return async function handleAuth(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pathname = (req.url ?? '/').split(/[?#]/, 1)[0];
    const method = req.method ?? 'GET';
    try {
      if (pathname === '/auth/session' && method === 'GET') return await session(req, res);
      if (pathname === '/auth/login' && method === 'GET') return await login(res);
      if (pathname === '/auth/callback' && method === 'GET') return await callback(req, res);
      if (pathname === '/auth/logout' && method === 'POST') return await logout(req, res);
      throw new HttpError('not_found', 'no such route');
    } catch (err) {
      if (err instanceof HttpError) return sendError(res, err);
      deps.log.error({ err }, 'sign-in route failed');
      sendError(
        res,
        new HttpError('unavailable', 'sign-in is temporarily unavailable; retry later', {
          'retry-after': '5',
        }),
      );
    }
  };
}

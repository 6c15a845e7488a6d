// Server-side UI sessions. The browser holds only a random token in an HttpOnly, SameSite=Lax
// cookie (Secure when PUBLIC_BASE_URL is https); the row says who it is and until when.
//
// CSRF: every request authenticated by the cookie (reads too: they are audited) must carry X-CSRF-Token, a value
// derived from the session token that only same-origin script can learn (GET /auth/session). A
// cross-site page can make the browser send the cookie, but can neither read that answer nor set
// a custom header without a CORS preflight we never grant. Unlike a double-submit cookie, the
// token is bound to the server-side session, so a cookie planted by a sibling subdomain is useless.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { and, eq, gt, isNull } from 'drizzle-orm';
import type { Db } from '../../../db/client';
import { uiSessions } from '../../../db/schema';
import { constantTimeEqual, randomToken, sha256Hex } from '../../../lib/crypto';
import type { Role } from '../../../lib/roles';

export const SESSION_COOKIE = 'wa_session';
export const CSRF_HEADER = 'x-csrf-token';

export interface NewSession {
  tenantId: string;
  issuer: string;
  subject: string;
  displayName: string | null;
  role: Role;
  sourceIp: string | null;
  ttlSeconds: number;
}

/** Stores a session and returns the cookie token (the only time it exists in clear). */
export async function createSession(db: Db, s: NewSession) {
  const token = randomToken(32);
  const expiresAt = new Date(Date.now() + s.ttlSeconds * 1000);
  const [row] = await db
    .insert(uiSessions)
    .values({
      tenantId: s.tenantId,
      tokenHash: sha256Hex(token),
      issuer: s.issuer,
      subject: s.subject,
      displayName: s.displayName,
      role: s.role,
      sourceIp: s.sourceIp,
      expiresAt,
    })
    .returning({ id: uiSessions.id });
  return { token, id: row!.id, expiresAt };
}

/** The live session for a cookie token: not ended, not expired. */
export async function resolveSession(db: Db, token: string) {
  const [row] = await db
    .select()
    .from(uiSessions)
    .where(
      and(
        eq(uiSessions.tokenHash, sha256Hex(token)),
        isNull(uiSessions.endedAt),
        gt(uiSessions.expiresAt, new Date()),
      ),
    )
    .limit(1);
  return row ?? null;
}

export async function endSession(db: Db, token: string) {
  const [row] = await db
    .update(uiSessions)
    .set({ endedAt: new Date() })
    .where(and(eq(uiSessions.tokenHash, sha256Hex(token)), isNull(uiSessions.endedAt)))
    .returning({ id: uiSessions.id, tenantId: uiSessions.tenantId, subject: uiSessions.subject });
  return row ?? null;
}

/** The CSRF token of a session: a one-way function of its cookie token, so nothing to store. */
export function csrfTokenFor(sessionToken: string): string {
  return createHash('sha256').update('csrf\0').update(sessionToken).digest('base64url');
}

export function checkCsrf(req: IncomingMessage, sessionToken: string): boolean {
  const given = req.headers[CSRF_HEADER];
  if (typeof given !== 'string' || given === '') return false;
  return constantTimeEqual(given, csrfTokenFor(sessionToken));
}

export function readCookie(req: IncomingMessage, name: string): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      return /^[A-Za-z0-9._~+/=-]{1,4096}$/.test(value) ? value : null;
    }
  }
  return null;
}

export interface CookieOptions {
  secure: boolean;
  path?: string;
  /** Seconds; 0 deletes the cookie. */
  maxAge: number;
}

export function cookieHeader(name: string, value: string, o: CookieOptions): string {
  return [
    `${name}=${value}`,
    `Path=${o.path ?? '/'}`,
    `Max-Age=${o.maxAge}`,
    'HttpOnly',
    'SameSite=Lax',
    ...(o.secure ? ['Secure'] : []),
  ].join('; ');
}

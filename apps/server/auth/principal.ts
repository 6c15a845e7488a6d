// Who is calling: an API key (Authorization: Bearer) or a signed-in UI user (session cookie).
// Both resolve to the same Principal, so procedures and downloads never care which.
import type { IncomingMessage } from 'node:http';
import { and, eq, gt, isNull, or } from 'drizzle-orm';
import type { Db } from '../../../db/client';
import { adminKeys } from '../../../db/schema';
import { sha256Hex } from '../../../lib/crypto';
import type { Role } from '../../../lib/roles';
import type { ServerDeps } from '../deps';
import { clientIp } from '../ingest/client-ip';
import { checkCsrf, readCookie, resolveSession, SESSION_COOKIE } from './session';

export interface Principal {
  tenantId: string;
  role: Role;
  /** As written to the audit log: `admin_key:<key id>` or `user:<issuer subject>`. */
  actor: string;
  via: 'key' | 'session';
  /** The API key's id, or the UI session's id. */
  credentialId: string;
  /** The client's address (X-Forwarded-For only from TRUSTED_PROXIES). */
  sourceIp: string | null;
}

export interface Authentication {
  principal: Principal | null;
  /** A session cookie came without its CSRF token. */
  csrfRejected: boolean;
}

/**
 * `Authorization: Bearer <key>` → its tenant and role; null when absent, unknown, revoked or
 * expired. Checked on every request (no cache), so a revocation takes effect at once.
 */
export async function resolveApiKey(db: Db, header: string | undefined) {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) return null;
  // A lookup by SHA-256 of a 256-bit key: nothing to brute-force, no secret compared in code.
  const [row] = await db
    .select({ id: adminKeys.id, tenantId: adminKeys.tenantId, role: adminKeys.role })
    .from(adminKeys)
    .where(
      and(
        eq(adminKeys.keyHash, sha256Hex(match[1]!)),
        isNull(adminKeys.revokedAt),
        or(isNull(adminKeys.expiresAt), gt(adminKeys.expiresAt, new Date())),
      ),
    )
    .limit(1);
  return row ?? null;
}

export const keyActor = (keyId: string) => `admin_key:${keyId}`;
export const userActor = (subject: string) => `user:${subject}`;

export async function authenticate(
  deps: Pick<ServerDeps, 'db' | 'config'>,
  req: IncomingMessage,
): Promise<Authentication> {
  const sourceIp = clientIp(req, deps.config.TRUSTED_PROXIES);
  // An explicit key wins over a cookie: the CLI and automation never carry one.
  if (req.headers.authorization !== undefined) {
    const key = await resolveApiKey(deps.db, req.headers.authorization);
    const principal: Principal | null = key
      ? {
          tenantId: key.tenantId,
          role: key.role,
          actor: keyActor(key.id),
          via: 'key',
          credentialId: key.id,
          sourceIp,
        }
      : null;
    return { principal, csrfRejected: false };
  }
  const token = readCookie(req, SESSION_COOKIE);
  if (!token) return { principal: null, csrfRejected: false };
  const session = await resolveSession(deps.db, token);
  if (!session) return { principal: null, csrfRejected: false };
  // Reads too, not only changes: a read is audited, and a cross-site top-level navigation (which
  // SameSite=Lax lets carry the cookie) must not be able to plant "alice downloaded X" in the log.
  if (!checkCsrf(req, token)) {
    return { principal: null, csrfRejected: true };
  }
  return {
    principal: {
      tenantId: session.tenantId,
      role: session.role,
      actor: userActor(session.subject),
      via: 'session',
      credentialId: session.id,
      sourceIp,
    },
    csrfRejected: false,
  };
}

// Inner context (what procedures use) is separate from the HTTP layer, so procedures can be
// called directly in tests with a real database and no server.
import type { CreateHTTPContextOptions } from '@trpc/server/adapters/standalone';
import { and, eq, isNull } from 'drizzle-orm';
import { adminKeys } from '../../../db/schema';
import { sha256Hex } from '../../../lib/crypto';
import type { ServerDeps } from '../deps';
import { type AdminAuthGuard, throwIfThrottled } from '../http/admin-auth-guard';

export interface AdminPrincipal {
  tenantId: string;
  adminKeyId: string;
}

export interface Context extends ServerDeps {
  principal: AdminPrincipal | null;
}

export function createInnerContext(deps: ServerDeps, principal: AdminPrincipal | null): Context {
  return { ...deps, principal };
}

/** Resolves `Authorization: Bearer <admin key>` to its tenant; null when absent or unknown. */
export async function resolveAdminKey(deps: Pick<ServerDeps, 'db'>, header: string | undefined) {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) return null;
  // A lookup by SHA-256 of a 256-bit key: nothing to brute-force, no secret compared in code.
  const [row] = await deps.db
    .select({ id: adminKeys.id, tenantId: adminKeys.tenantId })
    .from(adminKeys)
    .where(and(eq(adminKeys.keyHash, sha256Hex(match[1]!)), isNull(adminKeys.revokedAt)))
    .limit(1);
  return row ? { tenantId: row.tenantId, adminKeyId: row.id } : null;
}

export function createHttpContextFactory(deps: ServerDeps, guard?: AdminAuthGuard) {
  return async ({ req, res }: CreateHTTPContextOptions): Promise<Context> => {
    const principal = await resolveAdminKey(deps, req.headers.authorization);
    if (!principal && guard) throwIfThrottled(guard, req, res);
    return createInnerContext(deps, principal);
  };
}

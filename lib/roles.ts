// The roles a credential (API key or signed-in user) can hold. Shared by the server, the CLI and
// the web UI, so the names exist once.
import { z } from 'zod';

export const ROLES = ['admin', 'reviewer', 'auditor'] as const;
// Pure, so the web bundle (which needs only ROLES) leaves zod out.
export const ZRole = /*#__PURE__*/ z.enum(ROLES);
export type Role = z.infer<typeof ZRole>;

/** Most privileged first: when an identity maps to several roles, the first one here wins. */
export function strongestRole(roles: Iterable<Role>): Role | null {
  const held = new Set(roles);
  return ROLES.find((r) => held.has(r)) ?? null;
}

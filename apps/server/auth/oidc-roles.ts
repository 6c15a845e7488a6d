// Claim → role: the values of one ID token (or userinfo) claim, looked up in OIDC_ROLE_MAP.
import { type Role, strongestRole } from '../../../lib/roles';

export interface RoleMapping {
  value: string;
  role: Role;
}

/** The strongest role any of the claim's values maps to; null when none does. */
export function roleFromClaims(
  claims: Record<string, unknown>,
  claim: string,
  mapping: readonly RoleMapping[],
): Role | null {
  const raw = claims[claim];
  const values = Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw];
  const held = values
    .filter((v): v is string => typeof v === 'string')
    .flatMap((v) => mapping.filter((m) => m.value === v).map((m) => m.role));
  return strongestRole(held);
}

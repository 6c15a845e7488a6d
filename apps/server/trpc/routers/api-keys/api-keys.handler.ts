// Scoped API keys: created with a role (and maybe an expiry), shown once, listed without the
// key, revoked at once (every request looks the key up; nothing caches it). Audited.
import { TRPCError } from '@trpc/server';
import { and, desc, eq } from 'drizzle-orm';
import { audit } from '../../../../../db/audit';
import { type AdminKey, adminKeys } from '../../../../../db/schema';
import { randomToken, sha256Hex } from '../../../../../lib/crypto';
import type { Role } from '../../../../../lib/roles';
import type { TenantContext } from '../../trpc';
import type { ApiKeyIdInput, CreateApiKeyInput } from './api-keys.schema';

/** `wa_<role>_<256 random bits>`: the role is readable at a glance, the rest is the secret. */
export function newApiKey(role: Role) {
  const key = `wa_${role}_${randomToken(32)}`;
  return { key, keyHash: sha256Hex(key), keyPrefix: key.slice(0, `wa_${role}_`.length + 4) };
}

function toApiKeyView(k: AdminKey, now = new Date()) {
  const state = k.revokedAt ? 'revoked' : k.expiresAt && k.expiresAt <= now ? 'expired' : 'active';
  return {
    id: k.id,
    name: k.name,
    role: k.role,
    keyPrefix: k.keyPrefix,
    state: state as 'active' | 'expired' | 'revoked',
    createdAt: k.createdAt.toISOString(),
    expiresAt: k.expiresAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null,
  };
}

export async function createApiKeyHandler({ ctx, input }: { ctx: TenantContext; input: CreateApiKeyInput }) {
  const expiresAt = input.expiresAt ? new Date(input.expiresAt) : null;
  if (expiresAt && expiresAt.getTime() <= Date.now()) {
    throw new TRPCError({ code: 'BAD_REQUEST', message: 'expiresAt must be in the future' });
  }
  const { key, keyHash, keyPrefix } = newApiKey(input.role);
  const row = await ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(adminKeys)
      .values({
        tenantId: ctx.principal.tenantId,
        name: input.name,
        role: input.role,
        keyHash,
        keyPrefix,
        expiresAt,
      })
      .returning();
    await audit(tx, {
      tenantId: ctx.principal.tenantId,
      actor: ctx.principal.actor,
      action: 'api_key.created',
      targetType: 'api_key',
      targetId: row!.id,
      sourceIp: ctx.principal.sourceIp,
      details: { name: input.name, role: input.role, keyPrefix, expiresAt: expiresAt?.toISOString() ?? null },
    });
    return row!;
  });
  return { ...toApiKeyView(row), key };
}

export async function listApiKeysHandler({ ctx }: { ctx: TenantContext }) {
  const rows = await ctx.db
    .select()
    .from(adminKeys)
    .where(eq(adminKeys.tenantId, ctx.principal.tenantId))
    .orderBy(desc(adminKeys.createdAt), desc(adminKeys.id));
  const now = new Date();
  return rows.map((r) => toApiKeyView(r, now));
}

export async function revokeApiKeyHandler({ ctx, input }: { ctx: TenantContext; input: ApiKeyIdInput }) {
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .select()
      .from(adminKeys)
      .where(and(eq(adminKeys.id, input.id), eq(adminKeys.tenantId, ctx.principal.tenantId)))
      .for('update');
    if (!row) throw new TRPCError({ code: 'NOT_FOUND', message: `API key ${input.id} not found` });
    if (row.revokedAt) return toApiKeyView(row); // already revoked: nothing changes, nothing to audit
    const [after] = await tx
      .update(adminKeys)
      .set({ revokedAt: new Date() })
      .where(eq(adminKeys.id, input.id))
      .returning();
    await audit(tx, {
      tenantId: ctx.principal.tenantId,
      actor: ctx.principal.actor,
      action: 'api_key.revoked',
      targetType: 'api_key',
      targetId: input.id,
      sourceIp: ctx.principal.sourceIp,
      details: { name: row.name, role: row.role, keyPrefix: row.keyPrefix },
    });
    return toApiKeyView(after!);
  });
}

// Shared by the endpoint procedures: the tenant-scoped lookup and the public shape of an endpoint.
import { TRPCError } from '@trpc/server';
import { and, eq, isNull } from 'drizzle-orm';
import type { Db, Tx } from '../../../../../db/client';
import { type Endpoint, endpoints } from '../../../../../db/schema';
import type { SecretBox } from '../../../../../lib/crypto';
import { tokenAad } from '../../../endpoint-secret';

export function ingestUrl(publicBaseUrl: string, token: string): string {
  return `${publicBaseUrl}/webhooks/incoming/in/${token}`;
}

/** An endpoint of this tenant, or NOT_FOUND: another tenant's id looks exactly like an unknown one. */
export async function findOwnedEndpoint(db: Db | Tx, tenantId: string, id: string): Promise<Endpoint> {
  const [row] = await db
    .select()
    .from(endpoints)
    .where(and(eq(endpoints.id, id), eq(endpoints.tenantId, tenantId), isNull(endpoints.deletedAt)))
    .limit(1);
  if (!row) throw new TRPCError({ code: 'NOT_FOUND', message: `endpoint ${id} not found` });
  return row;
}

export function toEndpointView(row: Endpoint, box: SecretBox, publicBaseUrl: string) {
  return {
    id: row.id,
    name: row.name,
    authMode: row.authMode,
    source: row.source,
    sourceConfig: row.sourceConfig,
    ipAllowlist: row.ipAllowlist,
    enabled: row.enabled,
    rateLimit: { perSecond: row.rateLimitPerSecond, burst: row.rateLimitBurst },
    url: ingestUrl(publicBaseUrl, box.open(row.tokenSealed, tokenAad(row.id))),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    secretRotatedAt: row.secretRotatedAt.toISOString(),
  };
}

export type EndpointView = ReturnType<typeof toEndpointView>;

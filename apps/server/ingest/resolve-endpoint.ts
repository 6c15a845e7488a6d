// Token → endpoint (with its tenant's retention). The token is looked up by its SHA-256, so
// the database never holds it in clear and the lookup leaks nothing about near-misses.
import { eq } from 'drizzle-orm';
import type { Db } from '../../../db/client';
import { endpoints, tenants } from '../../../db/schema';
import { sha256Hex } from '../../../lib/crypto';
import { HttpError } from '../http/respond';

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export async function resolveEndpoint(db: Db, token: string) {
  const notFound = (reason: string) =>
    new HttpError('endpoint_not_found', 'no endpoint at this URL', {}, undefined, reason);
  if (!TOKEN_SHAPE.test(token)) throw notFound('token_malformed');
  const [row] = await db
    .select({ endpoint: endpoints, retentionDays: tenants.retentionDays })
    .from(endpoints)
    .innerJoin(tenants, eq(tenants.id, endpoints.tenantId))
    .where(eq(endpoints.tokenHash, sha256Hex(token)))
    .limit(1);
  if (!row) throw notFound('token_unknown');
  if (row.endpoint.deletedAt) throw notFound('endpoint_deleted');
  if (!row.endpoint.enabled) throw new HttpError('endpoint_disabled', 'this endpoint is disabled');
  return row;
}

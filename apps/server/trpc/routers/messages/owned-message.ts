import { TRPCError } from '@trpc/server';
import { and, eq } from 'drizzle-orm';
import type { Db } from '../../../../../db/client';
import { messages } from '../../../../../db/schema';

/**
 * What verify and legal hold need of a message of this tenant, or NOT_FOUND: another
 * tenant's id looks exactly like an unknown one.
 */
export async function findOwnedMessage(db: Db, tenantId: string, id: string) {
  const [m] = await db
    .select({ id: messages.id, manifestKey: messages.manifestKey, rawSha256: messages.rawSha256 })
    .from(messages)
    .where(and(eq(messages.id, id), eq(messages.tenantId, tenantId)));
  if (!m) throw new TRPCError({ code: 'NOT_FOUND', message: `message ${id} not found` });
  return m;
}

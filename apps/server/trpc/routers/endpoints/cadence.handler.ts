// Expected cadence: an endpoint that usually hears from its producer every few hours and has gone
// quiet longer than expectSilenceAtMost is flagged: the gap may be messages that never arrived.
import { TRPCError } from '@trpc/server';
import { and, eq, isNull, max } from 'drizzle-orm';
import { audit } from '../../../../../db/audit';
import { endpointCadence, endpoints, messages } from '../../../../../db/schema';
import type { TenantContext } from '../../trpc';
import type { SetCadenceInput } from './cadence.schema';

export async function setCadenceHandler({ ctx, input }: { ctx: TenantContext; input: SetCadenceInput }) {
  const tenantId = ctx.principal.tenantId;
  return ctx.db.transaction(async (tx) => {
    const [endpoint] = await tx
      .select({ id: endpoints.id })
      .from(endpoints)
      .where(and(eq(endpoints.id, input.id), eq(endpoints.tenantId, tenantId), isNull(endpoints.deletedAt)));
    if (!endpoint) throw new TRPCError({ code: 'NOT_FOUND', message: `endpoint ${input.id} not found` });
    const seconds = input.expectSilenceAtMost;
    if (seconds === null) await tx.delete(endpointCadence).where(eq(endpointCadence.endpointId, endpoint.id));
    else
      await tx
        .insert(endpointCadence)
        .values({ endpointId: endpoint.id, expectSilenceAtMostSeconds: seconds })
        .onConflictDoUpdate({
          target: endpointCadence.endpointId,
          set: { expectSilenceAtMostSeconds: seconds, updatedAt: new Date() },
        });
    await audit(tx, {
      tenantId,
      actor: ctx.principal.actor,
      sourceIp: ctx.principal.sourceIp,
      action: 'endpoint.cadence_set',
      targetType: 'endpoint',
      targetId: endpoint.id,
      details: { expectSilenceAtMostSeconds: seconds },
    });
    return { id: endpoint.id, expectSilenceAtMostSeconds: seconds };
  });
}

/** Every endpoint with an expected cadence, whether it is now silent too long, and since when. */
export async function silenceHandler({ ctx }: { ctx: TenantContext }) {
  const rows = await ctx.db
    .select({
      id: endpoints.id,
      name: endpoints.name,
      expectSilenceAtMostSeconds: endpointCadence.expectSilenceAtMostSeconds,
      since: endpointCadence.updatedAt,
      lastReceivedAt: max(messages.receivedAt),
    })
    .from(endpointCadence)
    .innerJoin(endpoints, eq(endpoints.id, endpointCadence.endpointId))
    .leftJoin(messages, eq(messages.endpointId, endpoints.id))
    .where(and(eq(endpoints.tenantId, ctx.principal.tenantId), isNull(endpoints.deletedAt)))
    .groupBy(
      endpoints.id,
      endpoints.name,
      endpointCadence.expectSilenceAtMostSeconds,
      endpointCadence.updatedAt,
    );
  const now = Date.now();
  const items = rows.map((r) => {
    // Never heard from: silent since the expectation was set.
    const last = r.lastReceivedAt ? new Date(r.lastReceivedAt) : null;
    const silentForSeconds = Math.floor((now - (last ?? r.since).getTime()) / 1000);
    return {
      id: r.id,
      name: r.name,
      expectSilenceAtMostSeconds: r.expectSilenceAtMostSeconds,
      lastReceivedAt: last?.toISOString() ?? null,
      silentForSeconds,
      flagged: silentForSeconds > r.expectSilenceAtMostSeconds,
    };
  });
  return { items, flagged: items.filter((i) => i.flagged).length };
}

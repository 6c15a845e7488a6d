import type { TenantContext } from '../../trpc';
import { findOwnedEndpoint, toEndpointView } from './endpoint-view';
import type { EndpointIdInput } from './id.schema';

export async function getEndpointHandler({ ctx, input }: { ctx: TenantContext; input: EndpointIdInput }) {
  const row = await findOwnedEndpoint(ctx.db, ctx.principal.tenantId, input.id);
  // Admitted / queued (admitted after waiting) / rejected (429) / aborted (left while queued):
  // totals across every server instance when the limiter is shared through Redis.
  const ingest = await ctx.rateLimiter.getCounters(row.id);
  return { ...toEndpointView(row, ctx.secretBox, ctx.config.PUBLIC_BASE_URL), ingest };
}

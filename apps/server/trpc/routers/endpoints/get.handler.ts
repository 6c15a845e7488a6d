import type { TenantContext } from '../../trpc';
import { findOwnedEndpoint, toEndpointView } from './endpoint-view';
import type { EndpointIdInput } from './id.schema';

export async function getEndpointHandler({ ctx, input }: { ctx: TenantContext; input: EndpointIdInput }) {
  const row = await findOwnedEndpoint(ctx.db, ctx.principal.tenantId, input.id);
  return toEndpointView(row, ctx.secretBox, ctx.config.PUBLIC_BASE_URL);
}

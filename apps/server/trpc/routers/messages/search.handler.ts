import type { TenantContext } from '../../trpc';
import { searchMessages } from './search.query';
import type { SearchMessagesInput } from './search.schema';

/** Full-text and filtered search over the tenant's messages (never another tenant's). */
export async function searchMessagesHandler({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: SearchMessagesInput;
}) {
  return searchMessages(ctx.db, ctx.principal.tenantId, input);
}

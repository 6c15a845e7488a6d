import { recordAccess } from '../../../auth/access-audit';
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
  const result = await searchMessages(ctx.db, ctx.principal.tenantId, input, {
    countBudgetMs: ctx.config.SEARCH_COUNT_BUDGET_MS,
  });
  await recordSearch(ctx, input, result.items);
  return result;
}

/** Results show message content (previews): the query and which messages it showed are audited. */
function recordSearch(ctx: TenantContext, input: SearchMessagesInput, items: { id: string }[]) {
  const { cursor: _cursor, limit: _limit, ...query } = input;
  return recordAccess(
    ctx.db,
    ctx.principal,
    'messages.searched',
    { type: 'message', id: null },
    { query, count: items.length, messageIds: items.map((i) => i.id) },
  );
}

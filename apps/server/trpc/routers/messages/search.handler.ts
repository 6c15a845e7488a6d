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
  const result = await searchMessages(ctx.db, ctx.principal.tenantId, input);
  await recordSearch(ctx, input, result.items.length);
  return result;
}

/** Results show message content (snippets): the query and how many it returned are audited. */
function recordSearch(ctx: TenantContext, input: SearchMessagesInput, count: number) {
  const { cursor: _cursor, limit: _limit, ...query } = input;
  return recordAccess(
    ctx.db,
    ctx.principal,
    'messages.searched',
    { type: 'message', id: null },
    { query, count },
  );
}

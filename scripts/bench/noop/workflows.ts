// The e2e ceiling's stand-in for archiveMessage: the same shape (its two local activities,
// prepare and seal, the patch marker of the ledger step folded into seal, and one
// search-attribute upsert at the end) with activities that do nothing. Keep it in step with
// workflows/archive-message.ts, or the ratio means nothing.
import { patched, proxyLocalActivities, upsertSearchAttributes } from '@temporalio/workflow';
import { SA_ATTACHMENTS, SA_STATUS } from '../../../lib/temporal/search-attributes';
import { SEAL_RECORDS_LEAF_PATCH } from '../../../workflows/types';
import type * as activities from './activities';

const acts = proxyLocalActivities<typeof activities>({ startToCloseTimeout: '30 seconds' });

export async function noopArchive(id: string): Promise<string> {
  await acts.prepare(id);
  await acts.seal(id);
  patched(SEAL_RECORDS_LEAF_PATCH); // archiveMessage's patch marker: the same history
  upsertSearchAttributes([
    { key: SA_STATUS, value: 'archived' },
    { key: SA_ATTACHMENTS, value: 'none' },
  ]);
  return id;
}

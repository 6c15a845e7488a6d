// The e2e ceiling's stand-in for archiveMessage: the same shape (its three local activities,
// prepare, seal and appendToLedger, and one search-attribute upsert at the end) with activities
// that do nothing. Keep it in step with workflows/archive-message.ts, or the ratio means nothing.
import { proxyLocalActivities, upsertSearchAttributes } from '@temporalio/workflow';
import { SA_ATTACHMENTS, SA_STATUS } from '../../../lib/temporal/search-attributes';
import type * as activities from './activities';

const acts = proxyLocalActivities<typeof activities>({ startToCloseTimeout: '30 seconds' });

export async function noopArchive(id: string): Promise<string> {
  await acts.prepare(id);
  await acts.seal(id);
  await acts.appendToLedger(id);
  upsertSearchAttributes([
    { key: SA_STATUS, value: 'archived' },
    { key: SA_ATTACHMENTS, value: 'none' },
  ]);
  return id;
}

// The e2e ceiling's stand-in for archiveMessage: the same shape (two local activities, one
// search-attribute upsert at the end) with activities that do nothing.
import { proxyLocalActivities, upsertSearchAttributes } from '@temporalio/workflow';
import { SA_STATUS } from '../../../lib/temporal/search-attributes';
import type * as activities from './activities';

const acts = proxyLocalActivities<typeof activities>({ startToCloseTimeout: '30 seconds' });

export async function noopArchive(id: string): Promise<string> {
  await acts.prepare(id);
  await acts.seal(id);
  upsertSearchAttributes([{ key: SA_STATUS, value: 'archived' }]);
  return id;
}

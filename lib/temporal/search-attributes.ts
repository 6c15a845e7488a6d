// Typed search attributes: every message's run is findable in Temporal Web by these.
// Workflow-safe (imported by workflows/).
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const SA_TENANT = defineSearchAttributeKey('ArchiveTenant', SearchAttributeType.KEYWORD);
export const SA_ENDPOINT = defineSearchAttributeKey('ArchiveEndpoint', SearchAttributeType.KEYWORD);
export const SA_EXTERNAL_ID = defineSearchAttributeKey('ArchiveExternalId', SearchAttributeType.KEYWORD);
export const SA_STATUS = defineSearchAttributeKey('ArchiveStatus', SearchAttributeType.KEYWORD);
/** 'none' | 'stored' | 'fetch_failed': find messages archived without some attachment. */
export const SA_ATTACHMENTS = defineSearchAttributeKey('ArchiveAttachments', SearchAttributeType.KEYWORD);

export const ALL_SEARCH_ATTRIBUTES = [
  SA_TENANT,
  SA_ENDPOINT,
  SA_EXTERNAL_ID,
  SA_STATUS,
  SA_ATTACHMENTS,
] as const;

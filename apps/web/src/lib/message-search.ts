// The Messages page's rows: messages.search (full text, filters, keyset pages, total).
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { type RouterInputs, type RouterOutputs, useTRPC } from '../trpc';
import { dayAfterIso, dayStartIso, type MessageFilters } from './message-filters';

export type MessageRow = RouterOutputs['messages']['search']['items'][number];
export type SearchInput = RouterInputs['messages']['search'];

export const PAGE_SIZE = 50;

/** The filter part, shared by messages.search and messages.volume (one filter on the server too). */
export function filterInput(f: MessageFilters) {
  const from = dayStartIso(f.from);
  const to = dayAfterIso(f.to);
  const range =
    f.dateField === 'received'
      ? { receivedFrom: from, receivedTo: to }
      : { occurredFrom: from, occurredTo: to };
  return {
    q: f.q.trim() || undefined,
    endpointId: f.endpointId || undefined,
    participant: f.participant.trim() || undefined,
    ...range,
    status: f.statuses.length > 0 ? f.statuses : undefined,
    hasAttachments: f.attachments === '' ? undefined : f.attachments === 'yes',
  } satisfies Partial<SearchInput>;
}

export function searchInput(f: MessageFilters, cursor: string | undefined): SearchInput {
  return { ...filterInput(f), sort: f.sort, cursor, limit: PAGE_SIZE };
}

export function useMessageResults(filters: MessageFilters, cursor: string | undefined) {
  const trpc = useTRPC();
  return useQuery({
    ...trpc.messages.search.queryOptions(searchInput(filters, cursor)),
    placeholderData: keepPreviousData,
  });
}

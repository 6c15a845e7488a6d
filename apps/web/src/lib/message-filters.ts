// The Messages page's filters live in the URL (?q=…&endpoint=…&status=…), so a filtered view
// can be bookmarked, shared and reached with the back button.

export const MESSAGE_STATUSES = ['received', 'stored', 'archived', 'failed'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export interface MessageFilters {
  q: string;
  endpointId: string;
  participant: string;
  statuses: MessageStatus[];
  dateField: 'occurred' | 'received';
  /** yyyy-mm-dd (local), inclusive. */
  from: string;
  /** yyyy-mm-dd (local), inclusive. */
  to: string;
  attachments: '' | 'yes' | 'no';
  sort: 'occurred_desc' | 'occurred_asc';
}

const isStatus = (s: string): s is MessageStatus => (MESSAGE_STATUSES as readonly string[]).includes(s);

export function filtersFromSearch(search: URLSearchParams): MessageFilters {
  const att = search.get('attachments');
  return {
    q: search.get('q') ?? '',
    endpointId: search.get('endpoint') ?? '',
    participant: search.get('participant') ?? '',
    statuses: search.getAll('status').filter(isStatus),
    dateField: search.get('date') === 'received' ? 'received' : 'occurred',
    from: search.get('from') ?? '',
    to: search.get('to') ?? '',
    attachments: att === 'yes' || att === 'no' ? att : '',
    sort: search.get('sort') === 'oldest' ? 'occurred_asc' : 'occurred_desc',
  };
}

export function filtersToQuery(f: MessageFilters): Record<string, string | string[]> {
  return {
    q: f.q.trim(),
    endpoint: f.endpointId,
    participant: f.participant.trim(),
    status: f.statuses,
    date: f.dateField === 'received' ? 'received' : '',
    from: f.from,
    to: f.to,
    attachments: f.attachments,
    sort: f.sort === 'occurred_asc' ? 'oldest' : '',
  };
}

export function hasActiveFilters(f: MessageFilters): boolean {
  return Boolean(
    f.q.trim() ||
      f.endpointId ||
      f.participant.trim() ||
      f.statuses.length ||
      f.from ||
      f.to ||
      f.attachments,
  );
}

function localDay(day: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const d = new Date(`${day}T00:00:00`);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** Start of a local day, as an ISO instant (inclusive lower bound). */
export function dayStartIso(day: string): string | undefined {
  return localDay(day)?.toISOString();
}

/** Start of the next local day, as an ISO instant: the exclusive upper bound of "to this day". */
export function dayAfterIso(day: string): string | undefined {
  const d = localDay(day);
  if (!d) return undefined;
  d.setDate(d.getDate() + 1);
  return d.toISOString();
}

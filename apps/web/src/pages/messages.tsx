// Messages: search and filter the archive; open one for its detail.
import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useMemo, useState } from 'react';
import { can, useSession } from '../auth';
import {
  DateTime,
  EmptyState,
  ErrorState,
  Loading,
  PageHeader,
  Spinner,
  StatusBadge,
} from '../components/ui';
import { VolumePanel } from '../components/volume-panel';
import { formatCount } from '../lib/format';
import {
  filtersFromSearch,
  filtersToQuery,
  hasActiveFilters,
  MESSAGE_STATUSES,
  type MessageFilters,
} from '../lib/message-filters';
import { type MessageRow, useMessageResults } from '../lib/message-search';
import { Link, navigate, useLocation, withQuery } from '../router';
import { useTRPC } from '../trpc';

export function MessagesPage() {
  const location = useLocation();
  const filters = useMemo(() => filtersFromSearch(location.search), [location.search]);
  const filterKey = location.search.toString();
  // Keyset pagination: the cursors of the pages before this one.
  const [pages, setPages] = useState<{ key: string; cursors: string[] }>({ key: filterKey, cursors: [] });
  const cursors = pages.key === filterKey ? pages.cursors : [];
  const results = useMessageResults(filters, cursors.at(-1));

  useEffect(() => {
    document.title = 'Messages · Webhook Archive';
  }, []);

  function apply(next: MessageFilters) {
    const target = withQuery('/messages', filtersToQuery(next));
    // The same search again (Enter in the box) means "look again": new messages may have arrived.
    if (target === location.href) {
      setPages({ key: filterKey, cursors: [] });
      void results.refetch();
    } else {
      navigate(target, { replace: true });
    }
  }

  const data = results.data;
  return (
    <>
      <PageHeader
        title="Messages"
        crumbs={[{ label: 'Archive' }, { label: 'Messages' }]}
        description="Every message your endpoints received. Search covers the body, participants and extra fields: words, “quoted phrases”, or, -word."
      />
      <FilterBar filters={filters} onApply={apply} />
      <VolumePanel filters={filters} />
      {results.isPending ? (
        <Loading label="Searching…" />
      ) : results.isError ? (
        <ErrorState error={results.error} title="Search failed" onRetry={() => results.refetch()} />
      ) : data ? (
        <>
          <div className="results-bar" aria-live="polite">
            <span data-testid="results-summary">
              {data.total.value === 0 && data.items.length === 0
                ? 'No messages'
                : `${data.total.exact ? '' : 'About '}${formatCount(data.total.value)} ${data.total.value === 1 ? 'message' : 'messages'}`}
              {cursors.length > 0 || data.nextCursor ? ` · page ${cursors.length + 1}` : ''}
            </span>
            {results.isFetching && (
              <span className="muted small">
                <Spinner /> Updating…
              </span>
            )}
          </div>
          {data.items.length === 0 ? (
            hasActiveFilters(filters) ? (
              <EmptyState
                title="No messages match"
                action={
                  <button
                    type="button"
                    className="btn"
                    onClick={() => navigate('/messages', { replace: true })}
                  >
                    Clear filters
                  </button>
                }
              >
                <p>Try fewer words, another status or a wider date range.</p>
              </EmptyState>
            ) : (
              <EmptyState
                title="No messages yet"
                action={
                  <Link to="/endpoints" className="btn">
                    Go to inbound endpoints
                  </Link>
                }
              >
                <p>Messages appear here as soon as a producer posts to one of your endpoints.</p>
              </EmptyState>
            )
          ) : (
            <ResultsTable items={data.items} />
          )}
          {(cursors.length > 0 || data.nextCursor) && (
            <nav className="pager" aria-label="Pages">
              <button
                type="button"
                className="btn"
                disabled={cursors.length === 0}
                onClick={() => setPages({ key: filterKey, cursors: cursors.slice(0, -1) })}
              >
                ← Newer
              </button>
              <button
                type="button"
                className="btn"
                disabled={!data.nextCursor}
                onClick={() =>
                  data.nextCursor && setPages({ key: filterKey, cursors: [...cursors, data.nextCursor] })
                }
              >
                Older →
              </button>
            </nav>
          )}
        </>
      ) : null}
    </>
  );
}

function FilterBar({ filters, onApply }: { filters: MessageFilters; onApply: (f: MessageFilters) => void }) {
  const trpc = useTRPC();
  // Endpoint names are admin-only (their URLs carry the ingest token).
  const endpoints = useQuery({
    ...trpc.endpoints.list.queryOptions(),
    enabled: can.manageEndpoints(useSession().role),
  });
  const id = useId();
  const [q, setQ] = useState(filters.q);
  const [participant, setParticipant] = useState(filters.participant);
  useEffect(() => setQ(filters.q), [filters.q]);
  useEffect(() => setParticipant(filters.participant), [filters.participant]);

  function submit(e: FormEvent) {
    e.preventDefault();
    onApply({ ...filters, q, participant });
  }
  const set = (patch: Partial<MessageFilters>) => onApply({ ...filters, q, participant, ...patch });

  return (
    <search className="panel filters">
      <form aria-label="Search messages" onSubmit={submit}>
        <div className="filters-search">
          <label htmlFor={`${id}-q`} className="visually-hidden">
            Search messages
          </label>
          <input
            id={`${id}-q`}
            type="search"
            name="q"
            value={q}
            onChange={(e) => setQ(e.target.value)}
            placeholder="Search body, participants, extra fields, external IDs…"
            autoComplete="off"
            spellCheck={false}
          />
          <button type="submit" className="btn btn-primary">
            Search
          </button>
        </div>
        <div className="filters-row">
          <div className="field field-inline">
            <label htmlFor={`${id}-endpoint`}>Endpoint</label>
            <select
              id={`${id}-endpoint`}
              value={filters.endpointId}
              onChange={(e) => set({ endpointId: e.target.value })}
            >
              <option value="">All endpoints</option>
              {endpoints.data?.map((e) => (
                <option key={e.id} value={e.id}>
                  {e.name}
                </option>
              ))}
              {filters.endpointId &&
                endpoints.data &&
                !endpoints.data.some((e) => e.id === filters.endpointId) && (
                  <option value={filters.endpointId}>Deleted endpoint</option>
                )}
            </select>
          </div>
          <div className="field field-inline">
            <label htmlFor={`${id}-participant`}>Participant</label>
            <input
              id={`${id}-participant`}
              type="text"
              name="participant"
              value={participant}
              onChange={(e) => setParticipant(e.target.value)}
              onBlur={() => participant !== filters.participant && set({ participant })}
              placeholder="alice@example.com"
              autoComplete="off"
              spellCheck={false}
              className="input-participant"
            />
          </div>
          <fieldset className="field field-inline status-filter">
            <legend>Status</legend>
            <div className="checkbox-row">
              {MESSAGE_STATUSES.map((s) => (
                <label key={s} className="checkbox">
                  <input
                    type="checkbox"
                    checked={filters.statuses.includes(s)}
                    onChange={(e) =>
                      set({
                        statuses: e.target.checked
                          ? [...filters.statuses, s]
                          : filters.statuses.filter((x) => x !== s),
                      })
                    }
                  />
                  {s}
                </label>
              ))}
            </div>
          </fieldset>
          <div className="field field-inline">
            <label htmlFor={`${id}-datefield`}>Date</label>
            <select
              id={`${id}-datefield`}
              value={filters.dateField}
              onChange={(e) => set({ dateField: e.target.value === 'occurred' ? 'occurred' : 'received' })}
            >
              <option value="occurred">Occurred</option>
              <option value="received">Received</option>
            </select>
          </div>
          <div className="field field-inline">
            <label htmlFor={`${id}-from`}>From</label>
            <input
              id={`${id}-from`}
              type="date"
              value={filters.from}
              max={filters.to || undefined}
              onChange={(e) => set({ from: e.target.value })}
            />
          </div>
          <div className="field field-inline">
            <label htmlFor={`${id}-to`}>To</label>
            <input
              id={`${id}-to`}
              type="date"
              value={filters.to}
              min={filters.from || undefined}
              onChange={(e) => set({ to: e.target.value })}
            />
          </div>
          <div className="field field-inline">
            <label htmlFor={`${id}-att`}>Attachments</label>
            <select
              id={`${id}-att`}
              value={filters.attachments}
              onChange={(e) => set({ attachments: e.target.value as MessageFilters['attachments'] })}
            >
              <option value="">Any</option>
              <option value="yes">With attachments</option>
              <option value="no">Without attachments</option>
            </select>
          </div>
          <div className="field field-inline">
            <label htmlFor={`${id}-sort`}>Order</label>
            <select
              id={`${id}-sort`}
              value={filters.sort}
              onChange={(e) =>
                set({ sort: e.target.value === 'occurred_asc' ? 'occurred_asc' : 'occurred_desc' })
              }
            >
              <option value="occurred_desc">Newest first</option>
              <option value="occurred_asc">Oldest first</option>
            </select>
          </div>
          {hasActiveFilters(filters) && (
            <button
              type="button"
              className="btn btn-ghost"
              onClick={() => {
                setQ('');
                setParticipant('');
                navigate('/messages', { replace: true });
              }}
            >
              Clear filters
            </button>
          )}
        </div>
      </form>
    </search>
  );
}

function ResultsTable({ items }: { items: MessageRow[] }) {
  const trpc = useTRPC();
  // Endpoint names are admin-only (their URLs carry the ingest token).
  const endpoints = useQuery({
    ...trpc.endpoints.list.queryOptions(),
    enabled: can.manageEndpoints(useSession().role),
  });
  const names = new Map(endpoints.data?.map((e) => [e.id, e.name]));
  return (
    <div className="table-wrap">
      <table className="table" data-testid="messages-table">
        <caption className="visually-hidden">Messages</caption>
        <thead>
          <tr>
            <th scope="col">Occurred</th>
            <th scope="col">External ID</th>
            <th scope="col">From</th>
            <th scope="col">To</th>
            <th scope="col">Endpoint</th>
            <th scope="col">Status</th>
            <th scope="col">Preview</th>
          </tr>
        </thead>
        <tbody>
          {items.map((m) => (
            <tr key={m.id}>
              <td className="nowrap">
                <DateTime iso={m.occurredAt ?? m.receivedAt} />
                {m.attachmentCount > 0 && (
                  <span className="sub">
                    {m.attachmentCount} {m.attachmentCount === 1 ? 'attachment' : 'attachments'}
                  </span>
                )}
              </td>
              <th scope="row" className="mono small cell-id">
                <Link to={`/messages/${m.id}`}>{m.externalId}</Link>
              </th>
              <td className="cell-participant">
                {m.from ? (m.from.display_name ?? m.from.identifier) : <span className="muted">—</span>}
                {m.from?.display_name && <span className="sub">{m.from.identifier}</span>}
              </td>
              <td className="cell-participant">
                {m.to && m.to.length > 0 ? (
                  <>
                    {m.to[0]!.display_name ?? m.to[0]!.identifier}
                    {m.to.length > 1 && <span className="sub">+{m.to.length - 1} more</span>}
                  </>
                ) : (
                  <span className="muted">—</span>
                )}
              </td>
              <td className="small">{names.get(m.endpointId) ?? <span className="muted">—</span>}</td>
              <td>
                <StatusBadge status={m.status} />
              </td>
              <td className="cell-preview">{m.bodyPreview ?? <span className="muted">—</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

// Audit log: every change and every read of message content in this tenant, newest first,
// filtered by who, what, which message and when (audit.list; admin and auditor).
import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { DateTime, EmptyState, ErrorState, Loading, PageHeader } from '../components/ui';
import { Link } from '../router';
import { type RouterInputs, useTRPC } from '../trpc';

type Filters = Omit<NonNullable<RouterInputs['audit']['list']>, 'cursor' | 'limit'>;

const ACTIONS = [
  'message.viewed',
  'message.downloaded',
  'attachment.downloaded',
  'messages.searched',
  'messages.listed',
  'message.verified',
  'message.legal_hold_on',
  'message.legal_hold_off',
  'message.reprocessed',
  'api_key.created',
  'api_key.revoked',
  'session.signed_in',
  'session.signed_out',
  'endpoint.created',
  'endpoint.updated',
  'endpoint.secret_rotated',
  'endpoint.deleted',
];

const UUID = /^[0-9a-f-]{36}$/i;

export function AuditPage() {
  const trpc = useTRPC();
  const [filters, setFilters] = useState<Filters>({});
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const log = useQuery(
    trpc.audit.list.queryOptions({ ...filters, limit: 50, ...(cursor ? { cursor } : {}) }),
  );

  useEffect(() => {
    document.title = 'Audit log · Webhook Archive';
  }, []);

  return (
    <>
      <PageHeader
        title="Audit log"
        crumbs={[{ label: 'Archive' }, { label: 'Audit log' }]}
        description="Who changed or read what, when, and from where. Entries cannot be altered or deleted."
      />
      <AuditFilters
        onApply={(f) => {
          setFilters(f);
          setCursors([]);
        }}
      />
      {log.isPending ? (
        <Loading />
      ) : log.isError ? (
        <ErrorState
          title="The audit log could not be loaded"
          error={log.error}
          onRetry={() => log.refetch()}
        />
      ) : log.data.items.length === 0 ? (
        <EmptyState title="No entries match" />
      ) : (
        <>
          <div className="table-wrap">
            <table className="table" data-testid="audit-table">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">What</th>
                  <th scope="col">Target</th>
                  <th scope="col">From</th>
                </tr>
              </thead>
              <tbody>
                {log.data.items.map((e) => (
                  <tr key={e.id} data-action={e.action}>
                    <td>
                      <DateTime iso={e.createdAt} />
                    </td>
                    <td className="mono">{e.actor}</td>
                    <td>
                      <code>{e.action}</code>
                    </td>
                    <td className="mono">
                      {e.targetType === 'message' && e.targetId ? (
                        <Link to={`/messages/${e.targetId}`}>{e.targetId}</Link>
                      ) : (
                        (e.targetId ?? '—')
                      )}
                    </td>
                    <td className="mono">{e.sourceIp ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <nav className="pager" aria-label="Pages">
            <button
              type="button"
              className="btn btn-small"
              disabled={cursors.length === 0}
              onClick={() => setCursors((c) => c.slice(0, -1))}
            >
              Newer
            </button>
            <button
              type="button"
              className="btn btn-small"
              disabled={!log.data.nextCursor}
              onClick={() => log.data.nextCursor && setCursors((c) => [...c, log.data.nextCursor!])}
            >
              Older
            </button>
          </nav>
        </>
      )}
    </>
  );
}

function AuditFilters({ onApply }: { onApply: (f: Filters) => void }) {
  const id = useId();
  const [actor, setActor] = useState('');
  const [action, setAction] = useState('');
  const [messageId, setMessageId] = useState('');
  const [error, setError] = useState<string | null>(null);

  function submit(e: FormEvent) {
    e.preventDefault();
    const m = messageId.trim();
    if (m && !UUID.test(m)) {
      setError('A message id is a UUID.');
      return;
    }
    setError(null);
    onApply({
      ...(actor.trim() ? { actor: actor.trim() } : {}),
      ...(action ? { action } : {}),
      ...(m ? { messageId: m } : {}),
    });
  }

  return (
    <search className="panel filters">
      <form onSubmit={submit} aria-label="Audit filters" className="filters-row">
        <div className="field field-inline">
          <label htmlFor={`${id}-actor`}>Actor</label>
          <input
            id={`${id}-actor`}
            className="mono"
            placeholder="admin_key:… or user:…"
            value={actor}
            onChange={(e) => setActor(e.target.value)}
          />
        </div>
        <div className="field field-inline">
          <label htmlFor={`${id}-action`}>Action</label>
          <select id={`${id}-action`} value={action} onChange={(e) => setAction(e.target.value)}>
            <option value="">Any</option>
            {ACTIONS.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </div>
        <div className="field field-inline">
          <label htmlFor={`${id}-message`}>Message id</label>
          <input
            id={`${id}-message`}
            className="mono"
            value={messageId}
            onChange={(e) => setMessageId(e.target.value)}
            aria-invalid={error ? true : undefined}
          />
          {error && (
            <p className="field-error" role="alert">
              {error}
            </p>
          )}
        </div>
        <button type="submit" className="btn btn-primary">
          Apply
        </button>
      </form>
    </search>
  );
}

// Exports (regulators, e-discovery): choose a window, an endpoint and a query, start the export,
// follow its progress, download the bundle. Verify a download offline with scripts/verify-export.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { DownloadButton } from '../components/download-button';
import { Alert, DateTime, EmptyState, ErrorState, Loading, PageHeader, Spinner } from '../components/ui';
import { errorMessage, type RouterOutputs, useTRPC } from '../trpc';

type ExportItem = RouterOutputs['exports']['list']['items'][number];
const FORMATS = ['jsonl', 'eml', 'rsmf'] as const;

const localInput = (d: Date) =>
  new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);

export function ExportsPage() {
  const trpc = useTRPC();
  const list = useQuery({
    ...trpc.exports.list.queryOptions(),
    // Follow running exports; stop polling once everything has finished.
    refetchInterval: (q) => (q.state.data?.items.some((e) => e.state === 'running') ? 1000 : false),
  });
  useEffect(() => {
    document.title = 'Exports · Webhook Archive';
  }, []);
  return (
    <>
      <PageHeader
        title="Exports"
        crumbs={[{ label: 'Archive' }, { label: 'Exports' }]}
        description="A zip for regulators and review tools: messages.jsonl, EML, RSMF, raw bodies, attachments, inclusion proofs and a signed manifest. Check it offline with scripts/verify-export."
      />
      <NewExportForm />
      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        <ErrorState
          title="The exports could not be loaded"
          error={list.error}
          onRetry={() => list.refetch()}
        />
      ) : list.data.items.length === 0 ? (
        <EmptyState title="No exports yet" />
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="exports-table">
            <thead>
              <tr>
                <th scope="col">Created</th>
                <th scope="col">Window (received)</th>
                <th scope="col">Formats</th>
                <th scope="col">Progress</th>
                <th scope="col">
                  <span className="visually-hidden">Download</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((e) => (
                <ExportRow key={e.id} e={e} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function ExportRow({ e }: { e: ExportItem }) {
  const { done, total, bytes } = e.progress;
  const pct = total > 0 ? Math.floor((done / total) * 100) : e.state === 'completed' ? 100 : 0;
  return (
    <tr data-export-id={e.id}>
      <td>
        <DateTime iso={e.createdAt} />
      </td>
      <td className="sub">
        {e.filters.from} – {e.filters.to}
        {e.filters.q ? ` · “${e.filters.q}”` : ''}
      </td>
      <td>{e.filters.formats.join(', ')}</td>
      <td data-testid="export-state">
        <progress max={100} value={pct} aria-label={`Export progress ${pct}%`} /> {e.state} · {done}/{total} ·{' '}
        {(bytes / 1e6).toFixed(1)} MB
        {e.error && <div className="sub text-danger">{e.error}</div>}
      </td>
      <td>
        {e.downloadPath && (
          <DownloadButton
            path={e.downloadPath}
            filename={`export-${e.id}.zip`}
            label={`Download export ${e.id}`}
          />
        )}
      </td>
    </tr>
  );
}

function NewExportForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const [from, setFrom] = useState(() => localInput(new Date(Date.now() - 7 * 86_400_000)));
  const [to, setTo] = useState(() => localInput(new Date()));
  const [endpointId, setEndpointId] = useState('');
  const [q, setQ] = useState('');
  const [formats, setFormats] = useState<string[]>([...FORMATS]);
  const [error, setError] = useState<string | null>(null);
  const create = useMutation(trpc.exports.create.mutationOptions());

  async function submit(ev: FormEvent) {
    ev.preventDefault();
    if (formats.length === 0) return setError('Choose at least one format.');
    setError(null);
    try {
      await create.mutateAsync({
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        ...(endpointId.trim() ? { endpointId: endpointId.trim() } : {}),
        ...(q.trim() ? { q: q.trim() } : {}),
        formats: formats as (typeof FORMATS)[number][],
      });
      await queryClient.invalidateQueries(trpc.exports.list.queryFilter());
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  return (
    <section className="panel filters">
      <form onSubmit={submit} aria-label="New export" className="filters-row">
        <div className="field field-inline">
          <label htmlFor={`${id}-from`}>Received from</label>
          <input
            id={`${id}-from`}
            type="datetime-local"
            value={from}
            onChange={(e) => setFrom(e.target.value)}
          />
        </div>
        <div className="field field-inline">
          <label htmlFor={`${id}-to`}>to</label>
          <input id={`${id}-to`} type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} />
        </div>
        <div className="field field-inline">
          <label htmlFor={`${id}-endpoint`}>Endpoint id</label>
          <input
            id={`${id}-endpoint`}
            placeholder="all endpoints"
            value={endpointId}
            onChange={(e) => setEndpointId(e.target.value)}
          />
        </div>
        <div className="field field-inline">
          <label htmlFor={`${id}-q`}>Search</label>
          <input id={`${id}-q`} placeholder="optional" value={q} onChange={(e) => setQ(e.target.value)} />
        </div>
        <fieldset className="field field-inline">
          <legend>Formats</legend>
          {FORMATS.map((f) => (
            <label key={f}>
              <input
                type="checkbox"
                checked={formats.includes(f)}
                onChange={(e) =>
                  setFormats((cur) => (e.target.checked ? [...cur, f] : cur.filter((x) => x !== f)))
                }
              />{' '}
              {f}
            </label>
          ))}
        </fieldset>
        <button type="submit" className="btn btn-primary" disabled={create.isPending}>
          {create.isPending && <Spinner />}
          Start export
        </button>
      </form>
      {error && <Alert title="The export was not started">{error}</Alert>}
    </section>
  );
}

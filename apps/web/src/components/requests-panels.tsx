// The endpoint page's request log: traffic over time with ack latency percentiles, and the
// newest requests (what we answered, and why) with filters.
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { formatCount } from '../lib/format';
import { useTRPC } from '../trpc';
import { TrafficChart } from './traffic-chart';
import { DateTime, EmptyState, ErrorState, Loading } from './ui';

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

export function TrafficPanel({ endpointId }: { endpointId: string }) {
  const trpc = useTRPC();
  const [range, setRange] = useState<'24h' | '7d'>('24h');
  const traffic = useQuery(trpc.requests.traffic.queryOptions({ endpointId, range }));
  return (
    <section className="panel" aria-labelledby="traffic-heading">
      <h2 id="traffic-heading">Traffic</h2>
      <fieldset className="toolbar">
        <legend className="visually-hidden">Time range</legend>
        {(['24h', '7d'] as const).map((r) => (
          <button
            key={r}
            type="button"
            className="btn btn-small"
            aria-pressed={range === r}
            onClick={() => setRange(r)}
          >
            {r === '24h' ? 'Last 24 hours' : 'Last 7 days'}
          </button>
        ))}
      </fieldset>
      {traffic.isPending ? (
        <Loading label="Loading traffic…" />
      ) : traffic.isError ? (
        <ErrorState error={traffic.error} title="Could not load traffic" onRetry={() => traffic.refetch()} />
      ) : (
        <>
          <dl className="stats" data-testid="traffic-totals">
            <div>
              <dt>Accepted</dt>
              <dd data-testid="traffic-accepted">{formatCount(traffic.data.totals.accepted)}</dd>
            </div>
            <div>
              <dt>Duplicate</dt>
              <dd data-testid="traffic-duplicate">{formatCount(traffic.data.totals.duplicate)}</dd>
            </div>
            <div>
              <dt>Refused</dt>
              <dd data-testid="traffic-refused">{formatCount(sum(traffic.data.totals.refused))}</dd>
            </div>
            <div title="Ack latency of 200 answers: median / 95th / 99th percentile">
              <dt>Ack p50 / p95 / p99</dt>
              <dd data-testid="traffic-latency">
                {[traffic.data.ackMs.p50, traffic.data.ackMs.p95, traffic.data.ackMs.p99]
                  .map((v) => (v == null ? '–' : `${v} ms`))
                  .join(' / ')}
              </dd>
            </div>
          </dl>
          <TrafficChart
            buckets={traffic.data.buckets}
            from={traffic.data.from}
            bucketSeconds={traffic.data.bucketSeconds}
          />
          {Object.keys(traffic.data.totals.refused).length > 0 && (
            <p className="small">
              Refused by code:{' '}
              {Object.entries(traffic.data.totals.refused)
                .map(([code, n]) => `${code} ${formatCount(n)}`)
                .join(', ')}
            </p>
          )}
        </>
      )}
    </section>
  );
}

export function RequestsPanel({ endpointId }: { endpointId: string }) {
  const trpc = useTRPC();
  const [status, setStatus] = useState('');
  const [code, setCode] = useState('');
  const requests = useQuery(
    trpc.requests.list.queryOptions({
      endpointId,
      limit: 50,
      ...(status ? { status: Number(status) } : {}),
      ...(code.trim() ? { code: code.trim() } : {}),
    }),
  );
  return (
    <section className="panel" aria-labelledby="requests-heading">
      <h2 id="requests-heading">Requests</h2>
      <p className="hint">What the archive answered, and why. Secrets and bodies are never recorded.</p>
      <div className="toolbar">
        <label>
          Status{' '}
          <select value={status} onChange={(e) => setStatus(e.target.value)} aria-label="Status filter">
            <option value="">any</option>
            {[200, 400, 401, 403, 404, 413, 422, 429, 503].map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>{' '}
        <label>
          Code{' '}
          <input value={code} onChange={(e) => setCode(e.target.value)} aria-label="Code filter" size={16} />
        </label>
      </div>
      {requests.isPending ? (
        <Loading label="Loading requests…" />
      ) : requests.isError ? (
        <ErrorState
          error={requests.error}
          title="Could not load requests"
          onRetry={() => requests.refetch()}
        />
      ) : requests.data.items.length === 0 ? (
        <EmptyState title="No requests recorded">
          <p>Nothing matches these filters yet.</p>
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="table table-compact" data-testid="requests-table">
            <thead>
              <tr>
                <th>At</th>
                <th>Status</th>
                <th>Code</th>
                <th>Reason</th>
                <th>Source IP</th>
                <th>Bytes</th>
              </tr>
            </thead>
            <tbody>
              {requests.data.items.map((r) => (
                <tr key={r.request_id}>
                  <td>
                    <DateTime iso={r.at} />
                  </td>
                  <td>{r.status}</td>
                  <td>
                    <code>{r.code}</code>
                  </td>
                  <td>{r.reason}</td>
                  <td>{r.source_ip ?? '–'}</td>
                  <td>{r.body_bytes ?? '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

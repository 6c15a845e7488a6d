// Settings > Webhooks > Inbound endpoints: every endpoint of the tenant, with its activity.
import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Alert, Badge, DateTime, EmptyState, ErrorState, Loading, PageHeader } from '../components/ui';
import { takeFlash } from '../lib/flash';
import { authModeLabel, formatCount, formatStuckAfter } from '../lib/format';
import { Link, withQuery } from '../router';
import { type Endpoint, useTRPC } from '../trpc';

export const ENDPOINT_CRUMBS = [{ label: 'Settings' }, { label: 'Webhooks' }];

export function EndpointsPage() {
  const trpc = useTRPC();
  const endpoints = useQuery(trpc.endpoints.list.queryOptions());
  const [flash] = useState(takeFlash);
  useEffect(() => {
    document.title = 'Inbound endpoints · Webhook Archive';
  }, []);

  const newButton = (
    <Link to="/endpoints/new" className="btn btn-primary">
      New endpoint
    </Link>
  );

  return (
    <>
      <PageHeader
        title="Inbound endpoints"
        crumbs={[...ENDPOINT_CRUMBS, { label: 'Inbound endpoints' }]}
        description="Each endpoint has its own URL and secret. Producers POST JSON messages to it; every accepted message is archived in WORM storage."
        actions={endpoints.data && endpoints.data.length > 0 ? newButton : undefined}
      />
      {flash && <Alert kind="success">{flash}</Alert>}
      {endpoints.isPending ? (
        <Loading label="Loading endpoints…" />
      ) : endpoints.isError ? (
        <ErrorState
          error={endpoints.error}
          title="Could not load endpoints"
          onRetry={() => endpoints.refetch()}
        />
      ) : endpoints.data.length === 0 ? (
        <EmptyState title="No inbound endpoints yet" action={newButton}>
          <p>
            Create an endpoint to get a URL and a secret for a producer: an internal app, a SaaS tool's
            outbound webhooks, an audit feed or a backfill job.
          </p>
        </EmptyState>
      ) : (
        <EndpointsTable endpoints={endpoints.data} />
      )}
    </>
  );
}

function EndpointsTable({ endpoints }: { endpoints: Endpoint[] }) {
  return (
    <div className="table-wrap">
      <table className="table" data-testid="endpoints-table">
        <caption className="visually-hidden">Inbound endpoints</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Auth</th>
            <th scope="col">Status</th>
            <th scope="col">Created</th>
            <th scope="col">Last message received</th>
            <th scope="col" className="num">
              Messages
            </th>
            <th scope="col" className="num">
              Archived
            </th>
            <th scope="col" className="num">
              In progress
            </th>
            <th scope="col" className="num">
              Failed
            </th>
          </tr>
        </thead>
        <tbody>
          {endpoints.map((e) => (
            <EndpointRow key={e.id} endpoint={e} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function EndpointRow({ endpoint }: { endpoint: Endpoint }) {
  const trpc = useTRPC();
  const counts = useQuery(trpc.messages.counts.queryOptions({ endpointId: endpoint.id }));
  const last = useQuery(trpc.messages.list.queryOptions({ endpointId: endpoint.id, limit: 1 }));

  const countCell = (n: number | undefined) =>
    counts.isPending ? (
      <span className="muted">
        …<span className="visually-hidden">loading</span>
      </span>
    ) : counts.isError ? (
      <span className="muted" title="Could not load counts">
        —
      </span>
    ) : (
      formatCount(n)
    );

  const lastMessage = last.data?.items[0];
  return (
    <tr>
      <th scope="row">
        <Link to={`/endpoints/${endpoint.id}`} className="strong-link">
          {endpoint.name}
        </Link>
        {endpoint.ipAllowlist.length > 0 && (
          <span className="sub">
            {endpoint.ipAllowlist.length} allowed {endpoint.ipAllowlist.length === 1 ? 'range' : 'ranges'}
          </span>
        )}
      </th>
      <td>{authModeLabel(endpoint.authMode)}</td>
      <td>
        <Badge tone={endpoint.enabled ? 'success' : 'muted'}>
          {endpoint.enabled ? 'Enabled' : 'Disabled'}
        </Badge>
      </td>
      <td className="nowrap">
        <DateTime iso={endpoint.createdAt} />
      </td>
      <td>
        {last.isPending ? (
          <span className="muted">…</span>
        ) : last.isError ? (
          <span className="muted" title="Could not load the last message">
            —
          </span>
        ) : lastMessage ? (
          <Link to={`/messages/${lastMessage.id}`}>
            <DateTime iso={lastMessage.receivedAt} relative />
          </Link>
        ) : (
          <span className="muted">Never</span>
        )}
      </td>
      <td className="num">
        {counts.data && counts.data.total > 0 ? (
          <Link to={withQuery('/messages', { endpoint: endpoint.id })}>{countCell(counts.data.total)}</Link>
        ) : (
          countCell(counts.data?.total)
        )}
      </td>
      <td className="num">{countCell(counts.data?.archived)}</td>
      <td className="num">
        {countCell(counts.data ? counts.data.received + counts.data.stored : undefined)}
        {counts.data && counts.data.stuck > 0 && (
          <span
            className="sub text-danger"
            title={`Not archived and not failed ${formatStuckAfter(counts.data.stuckAfterMs)} after receipt`}
          >
            {formatCount(counts.data.stuck)} stuck
          </span>
        )}
      </td>
      <td className={`num${counts.data && counts.data.failed > 0 ? ' text-danger' : ''}`}>
        {countCell(counts.data?.failed)}
      </td>
    </tr>
  );
}

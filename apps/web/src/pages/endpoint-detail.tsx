// One endpoint: connection details, settings, enable/disable, rotate, delete, producer examples.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { ENDPOINT_LIMITS } from '../../../../lib/limits';
import { SOURCE_INFO } from '../../../../lib/sources/catalog';
import { AllowlistField, allowlistToText } from '../components/allowlist-field';
import { ConfirmDialog } from '../components/dialog';
import { RequestsPanel, TrafficPanel } from '../components/requests-panels';
import { SecretPanel } from '../components/secret-panel';
import { RecentDeliveries, SourceSetup } from '../components/source-fields';
import {
  Alert,
  Badge,
  CodeBlock,
  CopyField,
  DateTime,
  EmptyState,
  ErrorState,
  Loading,
  PageHeader,
  Spinner,
  StatusBadge,
} from '../components/ui';
import { validateAllowlist } from '../lib/cidr';
import { curlExample, pythonExample } from '../lib/examples';
import { setFlash } from '../lib/flash';
import { authModeLabel, formatCount, formatRelative, formatStuckAfter } from '../lib/format';
import { Link, navigate, withQuery } from '../router';
import { type Endpoint, type EndpointDetail, errorMessage, isNotFound, useTRPC } from '../trpc';
import { ENDPOINT_CRUMBS } from './endpoints';

const crumbs = (name?: string) => [
  ...ENDPOINT_CRUMBS,
  { label: 'Inbound endpoints', to: '/endpoints' },
  ...(name ? [{ label: name }] : []),
];

type RotatedSecret = { secret: string; url: string; authMode: string; source: Endpoint['source'] };
export function EndpointDetailPage({ id }: { id: string }) {
  const trpc = useTRPC();
  const endpoint = useQuery(trpc.endpoints.get.queryOptions({ id }));
  const [rotated, setRotated] = useState<RotatedSecret | null>(null);

  useEffect(() => {
    document.title = `${endpoint.data?.name ?? 'Endpoint'} · Webhook Archive`;
  }, [endpoint.data?.name]);

  if (endpoint.isPending) {
    return (
      <>
        <PageHeader title="Endpoint" crumbs={crumbs()} />
        <Loading label="Loading endpoint…" />
      </>
    );
  }
  if (endpoint.isError) {
    return (
      <>
        <PageHeader title="Endpoint" crumbs={crumbs()} />
        {isNotFound(endpoint.error) ? (
          <EmptyState
            title="Endpoint not found"
            action={
              <Link to="/endpoints" className="btn">
                Back to endpoints
              </Link>
            }
          >
            <p>It may have been deleted, or it belongs to another tenant.</p>
          </EmptyState>
        ) : (
          <ErrorState
            error={endpoint.error}
            title="Could not load the endpoint"
            onRetry={() => endpoint.refetch()}
          />
        )}
      </>
    );
  }

  const e = endpoint.data;
  return (
    <>
      <PageHeader
        title={e.name}
        crumbs={crumbs(e.name)}
        badges={
          <>
            <Badge tone="info">
              {e.source === 'comma' ? authModeLabel(e.authMode) : SOURCE_INFO[e.source].label}
            </Badge>
            <Badge tone={e.enabled ? 'success' : 'muted'}>{e.enabled ? 'Enabled' : 'Disabled'}</Badge>
          </>
        }
        actions={
          <Link to={withQuery('/messages', { endpoint: e.id })} className="btn">
            View messages
          </Link>
        }
      />
      {rotated && (
        <SecretPanel
          title="New secret"
          intro="The previous secret no longer works. Update your producer with this one."
          url={rotated.url}
          secret={rotated.secret}
          authMode={rotated.authMode}
          source={rotated.source}
          doneLabel="I've stored the new secret"
          onDone={() => setRotated(null)}
        />
      )}
      <div className="detail-grid">
        <div className="detail-main">
          <section className="panel" aria-labelledby="connection-heading">
            <h2 id="connection-heading">Connection</h2>
            <CopyField label="Endpoint URL" value={e.url} testId="endpoint-detail-url" />
            <dl className="facts">
              <dt>Sender</dt>
              <dd data-testid="endpoint-source">
                {SOURCE_INFO[e.source].label}
                {e.source !== 'comma' && <SourceSetup source={e.source} />}
              </dd>
              <dt>Auth mode</dt>
              <dd>
                {e.source !== 'comma' ? (
                  <>The sender's own signature scheme, verified on every delivery</>
                ) : e.authMode === 'hmac' ? (
                  <>
                    HMAC-SHA256 of the raw body in <code>X-Comma-Signature</code>
                  </>
                ) : (
                  <code>Authorization: Bearer &lt;secret&gt;</code>
                )}
              </dd>
              <dt>IP allowlist</dt>
              <dd>
                {e.ipAllowlist.length === 0 ? (
                  <span className="muted">Any source address</span>
                ) : (
                  e.ipAllowlist.map((c) => (
                    <code key={c} className="chip">
                      {c}
                    </code>
                  ))
                )}
              </dd>
              <dt>Rate limit</dt>
              <dd>
                {formatCount(e.rateLimit.perSecond)} requests/second, bursts up to{' '}
                {formatCount(e.rateLimit.burst)}
              </dd>
              <dt>Created</dt>
              <dd>
                <DateTime iso={e.createdAt} />
              </dd>
              <dt>Last changed</dt>
              <dd>
                <DateTime iso={e.updatedAt} />
              </dd>
            </dl>
          </section>
          <TrafficPanel endpointId={e.id} />
          <RequestsPanel endpointId={e.id} />
          <SettingsForm key={e.id} endpoint={e} />
          <RecentDeliveries endpointId={e.id} source={e.source} />
          {e.source === 'comma' && (
            <section className="panel" aria-labelledby="examples-heading">
              <h2 id="examples-heading">Send a test message</h2>
              <p className="hint">
                Ready to paste. Put the secret in <code>WEBHOOK_SECRET</code> first; a repeated{' '}
                <code>external_id</code> is stored once and answered <code>200 duplicate</code>.
              </p>
              <CodeBlock label="curl" language="bash" code={curlExample(e.url, e.authMode)} />
              <CodeBlock label="Python" language="python" code={pythonExample(e.url, e.authMode)} />
            </section>
          )}
        </div>
        <div className="detail-side">
          <StatusPanel endpoint={e} />
          <ActivityPanel endpoint={e} />
          <RotatePanel endpoint={e} onRotated={setRotated} />
          <DeletePanel endpoint={e} />
        </div>
      </div>
    </>
  );
}

/** After a change: the new view into the detail cache (keeping its counters), the list refetched. */
function useEndpointCache() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return (view: Endpoint) => {
    queryClient.setQueryData(trpc.endpoints.get.queryKey({ id: view.id }), (old) =>
      old ? { ...old, ...view } : undefined,
    );
    void queryClient.invalidateQueries(trpc.endpoints.list.queryFilter());
  };
}

const RATE_MAX = ENDPOINT_LIMITS.rateLimitPerSecond.max;
const BURST_MAX = ENDPOINT_LIMITS.rateLimitBurst.max;

function intError(raw: string, max: number): string | null {
  if (!/^\d+$/.test(raw.trim())) return 'Enter a whole number.';
  const n = Number(raw);
  return n < 1 || n > max ? `Must be between 1 and ${formatCount(max)}.` : null;
}

function SettingsForm({ endpoint }: { endpoint: Endpoint }) {
  const trpc = useTRPC();
  const updateCache = useEndpointCache();
  const id = useId();
  const [name, setName] = useState(endpoint.name);
  const [allowlist, setAllowlist] = useState(allowlistToText(endpoint.ipAllowlist));
  const [rate, setRate] = useState(String(endpoint.rateLimit.perSecond));
  const [burst, setBurst] = useState(String(endpoint.rateLimit.burst));
  const [saved, setSaved] = useState(false);
  const update = useMutation(
    trpc.endpoints.update.mutationOptions({
      onSuccess: (view) => {
        updateCache(view);
        setName(view.name);
        setAllowlist(allowlistToText(view.ipAllowlist));
        setRate(String(view.rateLimit.perSecond));
        setBurst(String(view.rateLimit.burst));
        setSaved(true);
      },
    }),
  );
  const allow = validateAllowlist(allowlist);
  const nameError = name.trim() === '' ? 'The name cannot be empty.' : null;
  const rateError = intError(rate, RATE_MAX);
  const burstError = intError(burst, BURST_MAX);
  const nameChanged = name.trim() !== endpoint.name;
  const listChanged = allow.entries.join('\n') !== endpoint.ipAllowlist.join('\n');
  const rateChanged = !rateError && Number(rate) !== endpoint.rateLimit.perSecond;
  const burstChanged = !burstError && Number(burst) !== endpoint.rateLimit.burst;
  const dirty =
    nameChanged ||
    listChanged ||
    rate.trim() !== String(endpoint.rateLimit.perSecond) ||
    burst.trim() !== String(endpoint.rateLimit.burst);
  const invalid = Boolean(nameError || rateError || burstError) || allow.hasErrors;
  const serverError = update.isError ? errorMessage(update.error) : null;
  const allowlistServerError = serverError && /IP allowlist/.test(serverError) ? serverError : null;

  function edited<T>(set: (v: T) => void) {
    return (v: T) => {
      set(v);
      setSaved(false);
    };
  }

  function submit(ev: FormEvent) {
    ev.preventDefault();
    if (invalid || !dirty) return;
    setSaved(false);
    update.mutate({
      id: endpoint.id,
      ...(nameChanged ? { name: name.trim() } : {}),
      ...(listChanged ? { ipAllowlist: allow.entries } : {}),
      ...(rateChanged ? { rateLimitPerSecond: Number(rate) } : {}),
      ...(burstChanged ? { rateLimitBurst: Number(burst) } : {}),
    });
  }

  return (
    <form className="panel form" onSubmit={submit} noValidate aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Settings</h2>
      <div className="field">
        <label htmlFor={`${id}-name`}>Name</label>
        <input
          id={`${id}-name`}
          name="name"
          type="text"
          maxLength={200}
          autoComplete="off"
          value={name}
          onChange={(ev) => edited(setName)(ev.target.value)}
          aria-invalid={nameError ? true : undefined}
          aria-describedby={nameError ? `${id}-name-error` : undefined}
        />
        {nameError && (
          <p className="field-error" id={`${id}-name-error`}>
            {nameError}
          </p>
        )}
      </div>
      <AllowlistField value={allowlist} onChange={edited(setAllowlist)} serverError={allowlistServerError} />
      <div className="field-pair">
        <div className="field">
          <label htmlFor={`${id}-rate`}>Rate limit (requests/second)</label>
          <input
            id={`${id}-rate`}
            name="rateLimitPerSecond"
            type="number"
            inputMode="numeric"
            min={1}
            max={RATE_MAX}
            step={1}
            value={rate}
            onChange={(ev) => edited(setRate)(ev.target.value)}
            aria-invalid={rateError ? true : undefined}
            aria-describedby={`${id}-rate-hint${rateError ? ` ${id}-rate-error` : ''}`}
          />
          <p className="hint" id={`${id}-rate-hint`}>
            Sustained rate; above it requests queue briefly, then get <code>429</code>.
          </p>
          {rateError && (
            <p className="field-error" id={`${id}-rate-error`}>
              {rateError}
            </p>
          )}
        </div>
        <div className="field">
          <label htmlFor={`${id}-burst`}>Burst</label>
          <input
            id={`${id}-burst`}
            name="rateLimitBurst"
            type="number"
            inputMode="numeric"
            min={1}
            max={BURST_MAX}
            step={1}
            value={burst}
            onChange={(ev) => edited(setBurst)(ev.target.value)}
            aria-invalid={burstError ? true : undefined}
            aria-describedby={`${id}-burst-hint${burstError ? ` ${id}-burst-error` : ''}`}
          />
          <p className="hint" id={`${id}-burst-hint`}>
            Requests that may arrive at once after a quiet period.
          </p>
          {burstError && (
            <p className="field-error" id={`${id}-burst-error`}>
              {burstError}
            </p>
          )}
        </div>
      </div>
      {serverError && !allowlistServerError && <Alert title="Not saved">{serverError}</Alert>}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={update.isPending || !dirty || invalid}>
          {update.isPending && <Spinner />}
          Save changes
        </button>
        {dirty && (
          <button
            type="button"
            className="btn btn-ghost"
            onClick={() => {
              setName(endpoint.name);
              setAllowlist(allowlistToText(endpoint.ipAllowlist));
              setRate(String(endpoint.rateLimit.perSecond));
              setBurst(String(endpoint.rateLimit.burst));
              update.reset();
            }}
          >
            Discard changes
          </button>
        )}
        <span role="status" className="form-status">
          {saved && !dirty ? 'Saved.' : ''}
        </span>
      </div>
    </form>
  );
}

function StatusPanel({ endpoint }: { endpoint: Endpoint }) {
  const trpc = useTRPC();
  const updateCache = useEndpointCache();
  const toggle = useMutation(trpc.endpoints.update.mutationOptions({ onSuccess: updateCache }));
  return (
    <section className="panel" aria-labelledby="status-heading">
      <h2 id="status-heading">Status</h2>
      <p>
        {endpoint.enabled ? (
          <>
            <strong>Enabled.</strong> Messages are accepted.
          </>
        ) : (
          <>
            <strong>Disabled.</strong> Producers get <code>403 endpoint_disabled</code>; nothing is lost on
            your side, and the URL and secret stay the same.
          </>
        )}
      </p>
      {toggle.isError && <Alert>{errorMessage(toggle.error)}</Alert>}
      <button
        type="button"
        className="btn"
        disabled={toggle.isPending}
        onClick={() => toggle.mutate({ id: endpoint.id, enabled: !endpoint.enabled })}
      >
        {toggle.isPending && <Spinner />}
        {endpoint.enabled ? 'Disable endpoint' : 'Enable endpoint'}
      </button>
    </section>
  );
}

const INGEST_COUNTERS: { key: keyof EndpointDetail['ingest']; label: string; hint: string }[] = [
  { key: 'admitted', label: 'Admitted', hint: 'Requests let through by the rate limiter' },
  { key: 'queued', label: 'Queued first', hint: 'Admitted after waiting in the burst queue' },
  { key: 'rejected', label: 'Rate-limited', hint: 'Answered 429 Too Many Requests' },
  { key: 'aborted', label: 'Gave up', hint: 'The producer disconnected while queued' },
];

function ActivityPanel({ endpoint }: { endpoint: EndpointDetail }) {
  const trpc = useTRPC();
  const counts = useQuery(trpc.messages.counts.queryOptions({ endpointId: endpoint.id }));
  const last = useQuery(trpc.messages.list.queryOptions({ endpointId: endpoint.id, limit: 1 }));
  const ingest = endpoint.ingest as EndpointDetail['ingest'] | undefined;
  const lastMessage = last.data?.items[0];
  return (
    <section className="panel" aria-labelledby="activity-heading">
      <h2 id="activity-heading">Activity</h2>
      {counts.isPending ? (
        <Loading label="Loading counts…" />
      ) : counts.isError ? (
        <ErrorState error={counts.error} title="Could not load counts" onRetry={() => counts.refetch()} />
      ) : (
        <dl className="stats">
          <div>
            <dt>Messages</dt>
            <dd>{formatCount(counts.data.total)}</dd>
          </div>
          <div>
            <dt>Archived</dt>
            <dd>{formatCount(counts.data.archived)}</dd>
          </div>
          <div title="Acknowledged with a 200, not yet archived">
            <dt>Backlog</dt>
            <dd>{formatCount(counts.data.backlog.messages)}</dd>
          </div>
          <div title="When the oldest message still waiting to be archived was received">
            <dt>Oldest waiting</dt>
            <dd>
              {counts.data.backlog.oldestReceivedAt
                ? formatRelative(counts.data.backlog.oldestReceivedAt)
                : '—'}
            </dd>
          </div>
          <div>
            <dt>Failed</dt>
            <dd className={counts.data.failed > 0 ? 'text-danger' : undefined}>
              {formatCount(counts.data.failed)}
            </dd>
          </div>
          <div
            title={`Not archived and not failed ${formatStuckAfter(counts.data.stuckAfterMs)} after receipt`}
          >
            <dt>Stuck</dt>
            <dd className={counts.data.stuck > 0 ? 'text-danger' : undefined} data-testid="count-stuck">
              {formatCount(counts.data.stuck)}
            </dd>
          </div>
        </dl>
      )}
      {ingest && (
        <>
          <h3>Requests</h3>
          <dl className="stats">
            {INGEST_COUNTERS.map((c) => (
              <div key={c.key} title={c.hint}>
                <dt>{c.label}</dt>
                <dd className={c.key === 'rejected' && ingest[c.key] > 0 ? 'text-warning' : undefined}>
                  {formatCount(ingest[c.key])}
                </dd>
              </div>
            ))}
          </dl>
        </>
      )}
      <p className="small">
        Last message received:{' '}
        {last.isPending ? (
          '…'
        ) : lastMessage ? (
          <>
            <Link to={`/messages/${lastMessage.id}`}>
              <DateTime iso={lastMessage.receivedAt} relative />
            </Link>{' '}
            <StatusBadge status={lastMessage.status} />
          </>
        ) : (
          <span className="muted">never</span>
        )}
      </p>
    </section>
  );
}

function RotatePanel({ endpoint, onRotated }: { endpoint: Endpoint; onRotated: (r: RotatedSecret) => void }) {
  const trpc = useTRPC();
  const updateCache = useEndpointCache();
  const [open, setOpen] = useState(false);
  // Tools that issue their own secret: the operator pastes the new one.
  const toolIssued = SOURCE_INFO[endpoint.source].toolIssuesSecret;
  const [given, setGiven] = useState('');
  const rotate = useMutation(
    trpc.endpoints.rotateSecret.mutationOptions({
      onSuccess: (r) => {
        updateCache(r.endpoint);
        setOpen(false);
        setGiven('');
        onRotated({
          secret: r.secret,
          url: r.endpoint.url,
          authMode: r.endpoint.authMode,
          source: r.endpoint.source,
        });
      },
    }),
  );
  return (
    <section className="panel" aria-labelledby="secret-heading">
      <h2 id="secret-heading">Secret</h2>
      <p>
        Last rotated <DateTime iso={endpoint.secretRotatedAt} />. The secret is shown only when it is created.
      </p>
      <button
        type="button"
        className="btn"
        onClick={() => {
          rotate.reset();
          setOpen(true);
        }}
      >
        Rotate secret…
      </button>
      <ConfirmDialog
        open={open}
        title="Rotate the secret?"
        confirmLabel="Rotate secret"
        busy={rotate.isPending}
        error={rotate.isError ? errorMessage(rotate.error) : undefined}
        onCancel={() => setOpen(false)}
        onConfirm={() =>
          rotate.mutate({ id: endpoint.id, ...(given.trim() ? { secret: given.trim() } : {}) })
        }
      >
        {toolIssued && (
          <div className="field">
            <label htmlFor="rotate-given-secret">
              New {SOURCE_INFO[endpoint.source].secretHint ?? 'signing secret'} from{' '}
              {SOURCE_INFO[endpoint.source].label}
            </label>
            <input
              id="rotate-given-secret"
              type="password"
              autoComplete="off"
              value={given}
              onChange={(ev) => setGiven(ev.target.value)}
            />
          </div>
        )}
        <p>
          <strong>The current secret stops working at once.</strong> Every request signed or authorised with
          it gets <code>401 Unauthorized</code> until the producer uses the new secret.
        </p>
        <p>The new secret is shown once, on this page.</p>
      </ConfirmDialog>
    </section>
  );
}

function DeletePanel({ endpoint }: { endpoint: Endpoint }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const del = useMutation(
    trpc.endpoints.delete.mutationOptions({
      onSuccess: () => {
        queryClient.removeQueries(trpc.endpoints.get.queryFilter({ id: endpoint.id }));
        void queryClient.invalidateQueries(trpc.endpoints.list.queryFilter());
        setOpen(false);
        setFlash(`Endpoint “${endpoint.name}” was deleted.`);
        navigate('/endpoints');
      },
    }),
  );
  return (
    <section className="panel panel-danger" aria-labelledby="delete-heading">
      <h2 id="delete-heading">Delete endpoint</h2>
      <p>The URL stops accepting messages at once. Messages already archived are kept.</p>
      <button
        type="button"
        className="btn btn-danger-outline"
        onClick={() => {
          del.reset();
          setOpen(true);
        }}
      >
        Delete endpoint…
      </button>
      <ConfirmDialog
        open={open}
        title={`Delete “${endpoint.name}”?`}
        confirmLabel="Delete endpoint"
        busy={del.isPending}
        error={del.isError ? errorMessage(del.error) : undefined}
        onCancel={() => setOpen(false)}
        onConfirm={() => del.mutate({ id: endpoint.id })}
      >
        <p>
          Producers posting to this URL get <code>404</code> from now on. This cannot be undone; archived
          messages and their audit trail stay.
        </p>
      </ConfirmDialog>
    </section>
  );
}

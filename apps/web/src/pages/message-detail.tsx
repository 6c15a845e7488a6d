// One archived message: participants, body, extra fields, attachments, integrity, and the
// link to its workflow run in Temporal Web.
import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { can, useSession } from '../auth';
import { ConfirmDialog } from '../components/dialog';
import { DownloadButton } from '../components/download-button';
import {
  Alert,
  CopyButton,
  DateTime,
  EmptyState,
  ErrorState,
  Loading,
  PageHeader,
  StatusBadge,
} from '../components/ui';
import { formatBytes, prettyJson, showInvisible } from '../lib/format';
import { temporalWorkflowUrl, useUiConfig } from '../lib/ui-config';
import { Link, withQuery } from '../router';
import { errorMessage, isNotFound, type RouterOutputs, useTRPC } from '../trpc';
import { IntegrityPanel } from './integrity';

type Message = RouterOutputs['messages']['get'];
type Participant = NonNullable<Message['from']>;

const FINAL = new Set(['archived', 'failed']);
/** After a reprocess, the page follows the message this long even while its row still says failed. */
const FOLLOW_REPROCESS_MS = 120_000;
const crumbs = (label?: string) => [{ label: 'Messages', to: '/messages' }, ...(label ? [{ label }] : [])];

export function MessageDetailPage({ id }: { id: string }) {
  const trpc = useTRPC();
  const [reprocessedAt, setReprocessedAt] = useState<number | null>(null);
  const message = useQuery({
    ...trpc.messages.get.queryOptions({ id }),
    // Until it is sealed (or failed), the record is still changing: follow it. After a
    // reprocess, a failed row is about to change too.
    refetchInterval: (q) => {
      const status = q.state.data?.status;
      if (!status) return false;
      if (!FINAL.has(status)) return 2000;
      const following = reprocessedAt !== null && Date.now() - reprocessedAt < FOLLOW_REPROCESS_MS;
      return following && status !== 'archived' ? 1000 : false;
    },
  });
  useEffect(() => {
    document.title = `${message.data?.externalId ?? 'Message'} · Webhook Archive`;
  }, [message.data?.externalId]);

  if (message.isPending) {
    return (
      <>
        <PageHeader title="Message" crumbs={crumbs()} />
        <Loading label="Loading message…" />
      </>
    );
  }
  if (message.isError) {
    return (
      <>
        <PageHeader title="Message" crumbs={crumbs()} />
        {isNotFound(message.error) ? (
          <EmptyState
            title="Message not found"
            action={
              <Link to="/messages" className="btn">
                Back to messages
              </Link>
            }
          />
        ) : (
          <ErrorState
            error={message.error}
            title="Could not load the message"
            onRetry={() => message.refetch()}
          />
        )}
      </>
    );
  }

  const m = message.data;
  return (
    <>
      <PageHeader
        title={
          <>
            <span className="muted title-prefix">Message</span> <span className="mono">{m.externalId}</span>
          </>
        }
        crumbs={crumbs(m.externalId)}
        badges={<StatusBadge status={m.status} />}
        actions={
          <>
            {m.status !== 'archived' && (
              <ReprocessButton
                m={m}
                onStarted={() => {
                  setReprocessedAt(Date.now());
                  void message.refetch();
                }}
              />
            )}
            <TemporalLink workflowId={m.workflowId} />
          </>
        }
      />
      {reprocessedAt !== null && (
        <div data-testid="reprocess-notice">
          {m.status === 'archived' ? (
            <Alert kind="success" title="Reprocessed">
              The message was archived again from the bytes received.
            </Alert>
          ) : (
            <Alert kind="info" title="Reprocessing">
              Archiving runs again from the stored raw bytes, under the same workflow; this page follows it.
            </Alert>
          )}
        </div>
      )}
      {m.error && <Alert title="Processing error">{m.error}</Alert>}
      {m.escapedFields.length > 0 && <EscapedNotice fields={m.escapedFields} scheme={m.escapeScheme} />}
      <div className="detail-grid">
        <div className="detail-main">
          <section className="panel" aria-labelledby="participants-heading">
            <h2 id="participants-heading">Participants</h2>
            <dl className="facts">
              <dt>From</dt>
              <dd data-testid="message-from">
                {m.from ? <ParticipantView p={m.from} /> : <span className="muted">—</span>}
              </dd>
              <dt>To</dt>
              <dd>
                {m.to && m.to.length > 0 ? (
                  <ul className="plain-list">
                    {m.to.map((p, i) => (
                      // biome-ignore lint/suspicious/noArrayIndexKey: a fixed list in which a recipient may repeat
                      <li key={i}>
                        <ParticipantView p={p} />
                      </li>
                    ))}
                  </ul>
                ) : (
                  <span className="muted">—</span>
                )}
              </dd>
            </dl>
          </section>
          <section className="panel" aria-labelledby="body-heading">
            <h2 id="body-heading">Body</h2>
            {m.body === null || m.body === '' ? (
              <p className="muted">No body.</p>
            ) : (
              <pre className="message-body" data-testid="message-body">
                {showInvisible(m.body)}
              </pre>
            )}
          </section>
          <section className="panel" aria-labelledby="extra-heading">
            <h2 id="extra-heading">Extra fields</h2>
            {Object.keys(m.extra ?? {}).length === 0 ? (
              <p className="muted">No fields beyond the contract's.</p>
            ) : (
              <pre className="json" data-testid="message-extra">
                {prettyJson(m.extra)}
              </pre>
            )}
          </section>
          <section className="panel" aria-labelledby="attachments-heading">
            <div className="panel-head">
              <h2 id="attachments-heading">Attachments</h2>
              <DownloadButton
                path={`/api/messages/${encodeURIComponent(m.id)}/raw`}
                filename={`${m.externalId.replace(/[^\w.-]+/g, '_')}.json`}
                label="Download the raw body as received"
                text="Download raw body"
              />
            </div>
            {m.attachments.length === 0 ? (
              <p className="muted">No attachments.</p>
            ) : (
              <div className="table-wrap">
                <table className="table table-compact">
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Type</th>
                      <th scope="col" className="num">
                        Size
                      </th>
                      <th scope="col">SHA-256</th>
                      <th scope="col">Status</th>
                      <th scope="col">
                        <span className="visually-hidden">Download</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {m.attachments.map((a) => (
                      <tr key={a.ordinal}>
                        <th scope="row">
                          {a.filename}
                          <span className="sub">{a.source === 'url' ? 'fetched from URL' : 'inline'}</span>
                        </th>
                        <td className="mono small">{a.contentType}</td>
                        <td className="num">{formatBytes(a.size)}</td>
                        <td className="mono small hash">{a.sha256 ?? <span className="muted">—</span>}</td>
                        <td>
                          <StatusBadge status={a.status} />
                          {a.error && <span className="sub text-danger">{a.error}</span>}
                        </td>
                        <td>
                          {a.status === 'stored' && (
                            <DownloadButton
                              path={`/api/messages/${encodeURIComponent(m.id)}/attachments/${a.ordinal}`}
                              filename={a.filename}
                              label={`Download ${a.filename}`}
                            />
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        </div>
        <div className="detail-side">
          <IntegrityPanel message={m} />
          <RecordPanel m={m} />
        </div>
      </div>
    </>
  );
}

function ParticipantView({ p }: { p: Participant }) {
  return p.display_name ? (
    <span>
      {showInvisible(p.display_name)} <span className="muted">&lt;{showInvisible(p.identifier)}&gt;</span>
    </span>
  ) : (
    <span>{showInvisible(p.identifier)}</span>
  );
}

/** Fields PostgreSQL could not hold as sent: stored escaped, shown here as sent. */
function EscapedNotice({ fields, scheme }: { fields: string[]; scheme: string | null }) {
  return (
    <div data-testid="escaped-notice">
      <Alert kind="info" title="Some fields are stored escaped">
        {`These fields contain characters PostgreSQL text cannot hold (NUL or unpaired surrogates): ${fields
          .map(showInvisible)
          .join(
            ', ',
          )}. They are stored in a lossless escaped form (${scheme ?? 'unknown scheme'}) and shown here as sent, with those characters written as \\uXXXX. The raw body is the exact bytes received.`}
      </Alert>
    </div>
  );
}

function EndpointName({ id }: { id: string }) {
  const trpc = useTRPC();
  const e = useQuery({ ...trpc.endpoints.get.queryOptions({ id }), retry: false });
  return (
    <Link to={`/endpoints/${id}`}>{e.data?.name ?? (e.isError ? 'deleted endpoint' : id.slice(0, 8))}</Link>
  );
}

function RecordPanel({ m }: { m: Message }) {
  return (
    <section className="panel" aria-labelledby="record-heading">
      <h2 id="record-heading">Record</h2>
      <dl className="facts facts-stacked">
        <dt>Endpoint</dt>
        <dd>
          <EndpointName id={m.endpointId} />{' '}
          <Link to={withQuery('/messages', { endpoint: m.endpointId })} className="small">
            (all its messages)
          </Link>
        </dd>
        <dt>External ID</dt>
        <dd className="mono break">{m.externalId}</dd>
        <dt>Message ID</dt>
        <dd className="mono break">{m.id}</dd>
        <dt>Occurred</dt>
        <dd>
          <DateTime iso={m.occurredAt} />
        </dd>
        <dt>Received</dt>
        <dd>
          <DateTime iso={m.receivedAt} />
        </dd>
        <dt>Archived</dt>
        <dd>
          <DateTime iso={m.archivedAt} />
        </dd>
        <dt>Source IP</dt>
        <dd className="mono">{m.sourceIp ?? '—'}</dd>
        <dt>Request ID</dt>
        <dd className="mono break small">{m.requestId}</dd>
        <dt>Raw body</dt>
        <dd>
          {formatBytes(m.rawSize)}
          <span className="sub mono hash">SHA-256 {m.rawSha256}</span>
        </dd>
        <dt>Manifest</dt>
        <dd className="mono break small">{m.manifestKey ?? <span className="muted">not sealed yet</span>}</dd>
        <dt>Workflow</dt>
        <dd className="mono break small">
          {m.workflowId} <CopyButton value={m.workflowId} label="Copy workflow ID" />
        </dd>
      </dl>
    </section>
  );
}

/**
 * Admins re-run archiving of a failed or stuck message (messages.reprocess). The server decides
 * what may be reprocessed; a refusal (e.g. still in progress) is shown in the dialog.
 */
function ReprocessButton({ m, onStarted }: { m: Message; onStarted: () => void }) {
  const trpc = useTRPC();
  const role = useSession().role;
  const [open, setOpen] = useState(false);
  const reprocess = useMutation(
    trpc.messages.reprocess.mutationOptions({
      onSuccess: () => {
        setOpen(false);
        onStarted();
      },
    }),
  );
  if (!can.reprocess(role)) return null;
  return (
    <>
      <button
        type="button"
        className="btn"
        onClick={() => {
          reprocess.reset();
          setOpen(true);
        }}
      >
        Reprocess…
      </button>
      <ConfirmDialog
        open={open}
        title="Reprocess this message?"
        confirmLabel="Reprocess"
        tone="primary"
        busy={reprocess.isPending}
        error={reprocess.isError ? errorMessage(reprocess.error) : undefined}
        onCancel={() => setOpen(false)}
        onConfirm={() => reprocess.mutate({ id: m.id })}
      >
        <p>
          Archiving runs again from the exact bytes received, under the same workflow ID{' '}
          <code>{m.workflowId}</code>: it never creates a second record. A run still going is stopped and
          replaced, so do this once the cause of the failure is fixed.
        </p>
        <p>The request is written to the audit log.</p>
      </ConfirmDialog>
    </>
  );
}

function TemporalLink({ workflowId }: { workflowId: string }) {
  const cfg = useUiConfig();
  if (!cfg.data) return null;
  return (
    <a
      className="btn"
      href={temporalWorkflowUrl(cfg.data, workflowId)}
      target="_blank"
      rel="noopener noreferrer"
      data-testid="temporal-link"
    >
      Open run in Temporal Web <span aria-hidden="true">↗</span>
      <span className="visually-hidden"> (opens in a new tab)</span>
    </a>
  );
}

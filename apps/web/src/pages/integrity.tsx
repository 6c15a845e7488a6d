// Integrity: re-read every sealed WORM object of the message and compare it with what was
// sealed (messages.verify). A verification is audited, so it runs when asked, not on page load.
import { useMutation } from '@tanstack/react-query';
import { Alert, Badge, Spinner } from '../components/ui';
import { formatBytes } from '../lib/format';
import { errorMessage, type RouterOutputs, useTRPC } from '../trpc';

type Message = RouterOutputs['messages']['get'];
type VerifyResult = RouterOutputs['messages']['verify'];

const KIND_LABELS: Record<string, string> = {
  manifest: 'Manifest',
  raw: 'Raw body',
  record: 'Record',
  attachment: 'Attachment',
};

export function IntegrityPanel({ message: m }: { message: Message }) {
  const trpc = useTRPC();
  const verify = useMutation(trpc.messages.verify.mutationOptions());
  const sealed = Boolean(m.manifestKey);

  return (
    <section className="panel" aria-labelledby="integrity-heading" data-testid="integrity-panel">
      <h2 id="integrity-heading">Integrity</h2>
      {!sealed ? (
        <p>
          {m.status === 'failed' ? (
            <Badge tone="danger">Not sealed</Badge>
          ) : (
            <Badge tone="neutral">Pending</Badge>
          )}{' '}
          {m.status === 'failed' ? 'Processing failed before sealing.' : 'Not sealed in WORM storage yet.'}
        </p>
      ) : (
        <>
          <p className="small">
            Re-reads the sealed objects from WORM storage and checks their SHA-256 against the manifest. Each
            check is recorded in the audit log.
          </p>
          <div role="status" aria-live="polite">
            {verify.data && <VerifyOutcome result={verify.data} />}
          </div>
          {verify.isError && <Alert title="Verification could not run">{errorMessage(verify.error)}</Alert>}
          <button
            type="button"
            className="btn"
            disabled={verify.isPending}
            onClick={() => verify.mutate({ id: m.id })}
          >
            {verify.isPending && <Spinner />}
            {verify.data ? 'Verify again' : 'Verify integrity'}
          </button>
        </>
      )}
    </section>
  );
}

function VerifyOutcome({ result }: { result: VerifyResult }) {
  return (
    <div className="verify-outcome">
      <p>
        {result.ok ? (
          <Badge tone="success">Verified</Badge>
        ) : (
          <Badge tone="danger">{result.reason === 'not_archived' ? 'Not archived' : 'Mismatch'}</Badge>
        )}{' '}
        {result.ok
          ? `All ${result.objects.length} sealed objects match.`
          : result.reason === 'manifest_invalid'
            ? 'The manifest could not be read or is invalid.'
            : result.reason === 'not_archived'
              ? 'The message has no sealed manifest yet.'
              : `${result.objects.filter((o) => !o.ok).length} of ${result.objects.length} objects differ.`}
      </p>
      {result.objects.length > 0 && (
        <ul className="verify-list">
          {result.objects.map((o) => (
            <li key={o.key} className={o.ok ? 'ok' : 'bad'}>
              <span className="verify-mark" aria-hidden="true">
                {o.ok ? '✓' : '✗'}
              </span>
              <span>
                <strong>
                  {KIND_LABELS[o.kind] ?? o.kind}
                  {o.ordinal !== undefined ? ` #${o.ordinal + 1}` : ''}
                </strong>{' '}
                <span className="visually-hidden">{o.ok ? 'matches' : 'does not match'}</span>
                <span className="muted small">{formatBytes(o.size)}</span>
                {o.error && <span className="sub text-danger">{o.error}</span>}
                <span className="sub mono hash" title={o.key}>
                  {o.actualSha256 ?? o.expectedSha256 ?? '—'}
                </span>
              </span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

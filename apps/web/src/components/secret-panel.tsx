// The one time a secret is visible: after create and after rotate.
import { useEffect, useId, useRef } from 'react';
import { SOURCE_INFO } from '../../../../lib/sources/catalog';
import type { SourceKind } from '../../../../lib/sources/config';
import { SourceSetup } from './source-fields';
import { CopyField } from './ui';

export function SecretPanel({
  title,
  intro,
  url,
  secret,
  authMode,
  source = 'comma',
  doneLabel,
  onDone,
}: {
  title: string;
  intro?: string;
  url: string;
  secret: string;
  authMode: string;
  source?: SourceKind;
  doneLabel: string;
  onDone: () => void;
}) {
  const ref = useRef<HTMLElement>(null);
  const headingId = useId();
  useEffect(() => {
    ref.current?.focus();
    ref.current?.scrollIntoView({ block: 'start' });
  }, []);

  return (
    <section
      ref={ref}
      className="panel secret-panel"
      aria-labelledby={headingId}
      tabIndex={-1}
      data-testid="secret-panel"
    >
      <h2 id={headingId}>{title}</h2>
      {intro && <p>{intro}</p>}
      <div className="callout callout-warning" role="note">
        <strong className="callout-title">Copy the secret now — it won't be shown again.</strong>
        <div>
          It is stored encrypted and cannot be displayed later. If you lose it, rotate the secret on the
          endpoint page to get a new one.
        </div>
      </div>
      <CopyField label="Endpoint URL" value={url} testId="endpoint-url" />
      <CopyField label="Secret" value={secret} testId="endpoint-secret" secret />
      {source !== 'comma' ? (
        <>
          <SourceSetup source={source} />
          {SOURCE_INFO[source].toolIssuesSecret && (
            <p className="hint">
              This is the secret you pasted from {SOURCE_INFO[source].label}; it is stored encrypted.
            </p>
          )}
        </>
      ) : (
        <p className="hint">
          {authMode === 'hmac' ? (
            <>
              Producers sign the raw request body with HMAC-SHA256 using this secret and send the hex digest
              in the <code>X-Comma-Signature</code> header.
            </>
          ) : (
            <>
              Producers send <code>Authorization: Bearer &lt;secret&gt;</code> on every request.
            </>
          )}
        </p>
      )}
      <div className="form-actions">
        <button type="button" className="btn btn-primary" onClick={onDone}>
          {doneLabel}
        </button>
      </div>
    </section>
  );
}

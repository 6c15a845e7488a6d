// Small shared pieces: page header, states (loading, empty, error), badges, copy button, code.
import { type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { copyText } from '../lib/clipboard';
import { formatDateTime, formatRelative } from '../lib/format';
import { Link } from '../router';
import { errorMessage } from '../trpc';

export interface Crumb {
  label: string;
  to?: string;
}

export function PageHeader({
  title,
  crumbs,
  description,
  actions,
  badges,
}: {
  title: ReactNode;
  crumbs?: Crumb[];
  description?: ReactNode;
  actions?: ReactNode;
  badges?: ReactNode;
}) {
  return (
    <header className="page-header">
      {crumbs && crumbs.length > 0 && (
        <nav aria-label="Breadcrumb" className="breadcrumbs">
          <ol>
            {crumbs.map((c) => (
              <li key={`${c.label}|${c.to ?? ''}`}>
                {c.to ? <Link to={c.to}>{c.label}</Link> : <span>{c.label}</span>}
              </li>
            ))}
          </ol>
        </nav>
      )}
      <div className="page-header-row">
        <div className="page-title">
          <h1 tabIndex={-1}>{title}</h1>
          {badges && <div className="badges">{badges}</div>}
        </div>
        {actions && <div className="page-actions">{actions}</div>}
      </div>
      {description && <p className="page-description">{description}</p>}
    </header>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

export function ErrorState({
  error,
  title = 'Something went wrong',
  onRetry,
}: {
  error: unknown;
  title?: string;
  onRetry?: () => void;
}) {
  return (
    <div className="state state-error" role="alert">
      <strong>{title}</strong>
      <p className="pre-line">{errorMessage(error)}</p>
      {onRetry && (
        <button type="button" className="btn" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function EmptyState({
  title,
  children,
  action,
}: {
  title: string;
  children?: ReactNode;
  action?: ReactNode;
}) {
  return (
    <div className="state state-empty">
      <h2>{title}</h2>
      {children && <div className="state-body">{children}</div>}
      {action && <div className="state-action">{action}</div>}
    </div>
  );
}

export function Alert({
  kind = 'error',
  title,
  children,
}: {
  kind?: 'error' | 'warning' | 'info' | 'success';
  title?: string;
  children: ReactNode;
}) {
  return (
    <div className={`callout callout-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {title && <strong className="callout-title">{title}</strong>}
      <div className="pre-line">{children}</div>
    </div>
  );
}

const STATUS_TONES: Record<string, string> = {
  archived: 'success',
  stored: 'info',
  received: 'neutral',
  pending: 'neutral',
  failed: 'danger',
  fetch_failed: 'danger',
  enabled: 'success',
  disabled: 'muted',
};

export function Badge({ tone, children }: { tone?: string; children: ReactNode }) {
  return <span className={`badge badge-${tone ?? 'neutral'}`}>{children}</span>;
}

export function StatusBadge({ status }: { status: string }) {
  return <Badge tone={STATUS_TONES[status] ?? 'neutral'}>{status.replace(/_/g, ' ')}</Badge>;
}

export function DateTime({ iso, relative = false }: { iso: string | null | undefined; relative?: boolean }) {
  if (!iso) return <span className="muted">—</span>;
  return (
    <time dateTime={iso} title={formatDateTime(iso, true)}>
      {relative ? formatRelative(iso) : formatDateTime(iso)}
    </time>
  );
}

export function CopyButton({
  value,
  label,
  className,
}: {
  value: string;
  label: string;
  className?: string;
}) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  async function copy() {
    const ok = await copyText(value);
    setState(ok ? 'copied' : 'failed');
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setState('idle'), ok ? 2000 : 6000);
  }
  return (
    <span className={`copy ${className ?? ''}`}>
      <button type="button" className="btn btn-small" onClick={copy} aria-label={label}>
        {state === 'copied' ? 'Copied' : 'Copy'}
      </button>
      <span className="copy-status" role="status" aria-live="polite">
        {state === 'copied'
          ? 'Copied to clipboard'
          : state === 'failed'
            ? 'Copy failed: select the text and press Ctrl+C'
            : ''}
      </span>
    </span>
  );
}

/** A value to copy: shown in full (click selects all), with a copy button. */
export function CopyField({
  label,
  value,
  testId,
  secret = false,
}: {
  label: string;
  value: string;
  testId?: string;
  secret?: boolean;
}) {
  const id = useId();
  return (
    <div className="copy-field">
      <span className="copy-field-label" id={`${id}-label`}>
        {label}
      </span>
      <div className="copy-field-row">
        <code className={`copy-field-value${secret ? ' secret' : ''}`} data-testid={testId}>
          {value}
        </code>
        <CopyButton value={value} label={`Copy ${label.toLowerCase()}`} />
      </div>
    </div>
  );
}

export function CodeBlock({ code, label, language }: { code: string; label: string; language?: string }) {
  return (
    <figure className="code-block">
      <figcaption>
        <span>{label}</span>
        <CopyButton value={code} label={`Copy ${label}`} />
      </figcaption>
      {/* Scrollable: Chromium and Firefox make it keyboard-focusable themselves. */}
      <pre data-language={language}>
        <code>{code}</code>
      </pre>
    </figure>
  );
}

export function Spinner() {
  return <span className="spinner spinner-inline" aria-hidden="true" />;
}

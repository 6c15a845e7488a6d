import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { Spinner } from '../components/ui';
import { createApiClient, errorMessage, isUnauthorized } from '../trpc';

export function SignInPage({
  notice,
  onSignedIn,
}: {
  notice: string | null;
  onSignedIn: (key: string) => void;
}) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);
  const id = useId();

  useEffect(() => {
    document.title = 'Sign in · Webhook Archive';
    inputRef.current?.focus();
  }, []);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const candidate = key.trim();
    if (!candidate) {
      setError('Enter your admin API key.');
      inputRef.current?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      // Any tenant-scoped call proves the key; the list is cheap.
      await createApiClient(() => candidate).endpoints.list.query();
      onSignedIn(candidate);
    } catch (err) {
      setError(
        isUnauthorized(err)
          ? 'That admin API key was not accepted. Check it and try again.'
          : errorMessage(err),
      );
      setBusy(false);
      inputRef.current?.focus();
    }
  }

  return (
    <div className="signin">
      <main className="signin-card" aria-labelledby={`${id}-title`}>
        <div className="brand brand-large">
          <span className="brand-mark" aria-hidden="true" />
          <span>Webhook Archive</span>
        </div>
        <h1 id={`${id}-title`}>Sign in</h1>
        <p className="muted">Use an admin API key of your tenant. It is kept in this browser tab only.</p>
        {notice && (
          <div className="callout callout-warning" role="alert" data-testid="signin-notice">
            {notice}
          </div>
        )}
        <form onSubmit={submit} noValidate>
          <div className="field">
            <label htmlFor={`${id}-key`}>Admin API key</label>
            <input
              ref={inputRef}
              id={`${id}-key`}
              name="adminKey"
              type="password"
              autoComplete="off"
              spellCheck={false}
              autoCapitalize="off"
              value={key}
              onChange={(e) => setKey(e.target.value)}
              aria-invalid={error ? true : undefined}
              aria-describedby={`${id}-hint${error ? ` ${id}-error` : ''}`}
              className="mono"
            />
            <p className="hint" id={`${id}-hint`}>
              Starts with <code>wa_admin_</code>. On a fresh install it is in <code>data/admin-key</code>.
            </p>
            {error && (
              <p className="field-error" id={`${id}-error`} role="alert">
                {error}
              </p>
            )}
          </div>
          <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
            {busy && <Spinner />}
            Sign in
          </button>
        </form>
      </main>
    </div>
  );
}

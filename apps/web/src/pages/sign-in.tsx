import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import type { Role } from '../auth';
import { Spinner } from '../components/ui';
import { createApiClient, errorMessage, isUnauthorized } from '../trpc';

export function SignInPage({
  notice,
  oidc,
  onSignedIn,
}: {
  notice: string | null;
  /** Single sign-on is configured: people sign in with the identity provider, not a key. */
  oidc: boolean;
  onSignedIn: (key: string, role: Role) => void;
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
      setError('Enter your API key.');
      inputRef.current?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      // whoami proves the key (any role may call it) and says what the UI may show.
      const me = await createApiClient(() => ({ kind: 'key', key: candidate })).auth.whoami.query();
      onSignedIn(candidate, me.role);
    } catch (err) {
      setError(
        isUnauthorized(err) ? 'That API key was not accepted. Check it and try again.' : errorMessage(err),
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
        <p className="muted">
          {oidc
            ? 'Sign in with your organisation’s identity provider.'
            : 'Use an API key of your tenant. It is kept in this browser tab only.'}
        </p>
        {notice && (
          <div className="callout callout-warning" role="alert" data-testid="signin-notice">
            {notice}
          </div>
        )}
        {oidc ? (
          <a href="/auth/login" className="btn btn-primary btn-block" data-testid="sso-sign-in">
            Sign in with single sign-on
          </a>
        ) : (
          <form onSubmit={submit} noValidate>
            <div className="field">
              <label htmlFor={`${id}-key`}>API key</label>
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
                Starts with <code>wa_</code>. On a fresh install the admin key is in{' '}
                <code>data/admin-key</code>.
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
        )}
      </main>
    </div>
  );
}

// The shell: session (admin key), API clients, layout and routes.
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import {
  type Credentials,
  can,
  credentialHeaders,
  endServerSession,
  fetchServerSession,
  keyHint,
  loadAdminKey,
  type Role,
  type Session,
  SessionContext,
  storeAdminKey,
  takeAuthError,
  useSession,
} from './auth';
import { LedgerBanner } from './components/ledger-banner';
import { EmptyState, Loading, PageHeader } from './components/ui';
import { ApiKeysPage } from './pages/api-keys';
import { AuditPage } from './pages/audit';
import { EndpointDetailPage } from './pages/endpoint-detail';
import { EndpointsPage } from './pages/endpoints';
import { ExportsPage } from './pages/exports';
import { MessageDetailPage } from './pages/message-detail';
import { MessagesPage } from './pages/messages';
import { NewEndpointPage } from './pages/new-endpoint';
import { SignInPage } from './pages/sign-in';
import { Link, navigate, useLocation } from './router';
import { createApiClient, isClientError, isUnauthorized, TRPCProvider } from './trpc';

const SESSION_ENDED =
  'Your credentials were rejected (401 Unauthorized): the key may have been revoked or the session ended. Sign in again to continue.';

/** Who is signed in, and how. */
type Auth =
  | { kind: 'loading' }
  | { kind: 'signed-out'; oidc: boolean }
  | { kind: 'key'; key: string; role: Role }
  | { kind: 'session'; csrfToken: string; role: Role; name: string };

function credentialsOf(a: Auth): Credentials {
  if (a.kind === 'key') return { kind: 'key', key: a.key };
  if (a.kind === 'session') return { kind: 'session', csrfToken: a.csrfToken };
  return null;
}

export function App() {
  const [auth, setAuth] = useState<Auth>({ kind: 'loading' });
  const [notice, setNotice] = useState<string | null>(() => takeAuthError());
  const authRef = useRef(auth);
  authRef.current = auth;
  const oidcRef = useRef(false);

  const signOutRef = useRef<(message?: string) => void>(() => {});
  const [queryClient] = useState(() => {
    const onError = (err: unknown) => {
      const k = authRef.current.kind;
      if (isUnauthorized(err) && (k === 'key' || k === 'session')) signOutRef.current(SESSION_ENDED);
    };
    return new QueryClient({
      queryCache: new QueryCache({ onError }),
      mutationCache: new MutationCache({ onError }),
      defaultOptions: {
        queries: {
          staleTime: 10_000,
          refetchOnWindowFocus: false,
          retry: (count, err) => !isClientError(err) && count < 2,
        },
        mutations: { retry: false },
      },
    });
  });
  const [trpcClient] = useState(() => createApiClient(() => credentialsOf(authRef.current)));

  // First load: a live SSO session wins; else a key kept in this tab; else the sign-in page.
  useEffect(() => {
    let cancelled = false;
    (async () => {
      let next: Auth = { kind: 'signed-out', oidc: false };
      try {
        const server = await fetchServerSession();
        oidcRef.current = server.oidc;
        next = { kind: 'signed-out', oidc: server.oidc };
        if (server.session) {
          const s = server.session;
          next = { kind: 'session', csrfToken: s.csrfToken, role: s.role, name: s.displayName ?? s.subject };
        }
      } catch {
        // The server will say more on the next request; offer the key sign-in meanwhile.
      }
      const key = loadAdminKey();
      if (next.kind === 'signed-out' && key) {
        try {
          const me = await createApiClient(() => ({ kind: 'key', key })).auth.whoami.query();
          next = { kind: 'key', key, role: me.role };
        } catch {
          storeAdminKey(null);
        }
      }
      if (!cancelled) setAuth(next);
    })();
    return () => {
      cancelled = true;
    };
  }, []);

  const signOut = useCallback(
    (message?: string) => {
      const current = authRef.current;
      if (current.kind === 'session') void endServerSession(current.csrfToken).catch(() => {});
      storeAdminKey(null);
      const next: Auth = { kind: 'signed-out', oidc: oidcRef.current };
      authRef.current = next;
      setAuth(next);
      setNotice(message ?? null);
      queryClient.clear();
    },
    [queryClient],
  );
  signOutRef.current = signOut;

  const session = useMemo<Session | null>(() => {
    const headers = () => credentialHeaders(credentialsOf(auth));
    if (auth.kind === 'key')
      return { role: auth.role, via: 'key', label: keyHint(auth.key), headers, signOut };
    if (auth.kind === 'session')
      return { role: auth.role, via: 'session', label: auth.name, headers, signOut };
    return null;
  }, [auth, signOut]);

  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {auth.kind === 'loading' ? (
          <Loading label="Signing in…" />
        ) : session ? (
          <SessionContext.Provider value={session}>
            <Shell />
          </SessionContext.Provider>
        ) : (
          <SignInPage
            notice={notice}
            oidc={auth.kind === 'signed-out' && auth.oidc}
            onSignedIn={(key, role) => {
              storeAdminKey(key);
              const next: Auth = { kind: 'key', key, role };
              authRef.current = next;
              setNotice(null);
              setAuth(next);
            }}
          />
        )}
      </TRPCProvider>
    </QueryClientProvider>
  );
}

function Shell() {
  const session = useSession();
  const location = useLocation();
  const first = useRef(true);

  // After a navigation, focus the new page's heading so screen readers announce it.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on navigation
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    window.scrollTo(0, 0);
    document.querySelector<HTMLElement>('#main h1')?.focus();
  }, [location.pathname]);

  const section = location.pathname.startsWith('/messages')
    ? 'messages'
    : location.pathname.startsWith('/audit')
      ? 'audit'
      : location.pathname.startsWith('/api-keys')
        ? 'api-keys'
        : location.pathname.startsWith('/exports')
          ? 'exports'
          : 'endpoints';
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to main content
      </a>
      <header className="topbar">
        <Link to="/endpoints" className="brand">
          <span className="brand-mark" aria-hidden="true" />
          <span>Webhook Archive</span>
        </Link>
        <div className="session">
          {session.via === 'key' ? (
            <span className="session-key" title="Signed in with this API key">
              API key <code>{session.label}</code>
            </span>
          ) : (
            <span className="session-key" data-testid="session-user">
              {session.label}
            </span>
          )}
          <span className="badge" data-testid="session-role">
            {session.role}
          </span>
          <button type="button" className="btn btn-small" onClick={() => session.signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <div className="layout">
        <nav className="sidebar" aria-label="Main">
          {can.manageEndpoints(session.role) && (
            <>
              <p className="nav-heading">Settings</p>
              <p className="nav-subheading">Webhooks</p>
              <ul>
                <li>
                  <Link to="/endpoints" aria-current={section === 'endpoints' ? 'page' : undefined}>
                    Inbound endpoints
                  </Link>
                </li>
              </ul>
              <p className="nav-subheading">Access</p>
              <ul>
                <li>
                  <Link to="/api-keys" aria-current={section === 'api-keys' ? 'page' : undefined}>
                    API keys
                  </Link>
                </li>
              </ul>
            </>
          )}
          <p className="nav-heading">Archive</p>
          <ul>
            <li>
              <Link to="/messages" aria-current={section === 'messages' ? 'page' : undefined}>
                Messages
              </Link>
            </li>
            <li>
              <Link to="/exports" aria-current={section === 'exports' ? 'page' : undefined}>
                Exports
              </Link>
            </li>
            {can.readAudit(session.role) && (
              <li>
                <Link to="/audit" aria-current={section === 'audit' ? 'page' : undefined}>
                  Audit log
                </Link>
              </li>
            )}
          </ul>
        </nav>
        <main id="main" tabIndex={-1}>
          <LedgerBanner />
          <Routes pathname={location.pathname} role={session.role} />
        </main>
      </div>
    </div>
  );
}

const UUID = '([0-9a-fA-F-]{36})';

function Routes({ pathname, role }: { pathname: string; role: Role }) {
  const path = pathname.replace(/\/+$/, '') || '/';
  if (path === '/') return <Redirect to={can.manageEndpoints(role) ? '/endpoints' : '/messages'} />;
  if (path.startsWith('/endpoints') && !can.manageEndpoints(role)) return <NotForRole role={role} />;
  if (path === '/audit') return can.readAudit(role) ? <AuditPage /> : <NotForRole role={role} />;
  if (path === '/api-keys') return can.manageKeys(role) ? <ApiKeysPage /> : <NotForRole role={role} />;
  if (path === '/endpoints') return <EndpointsPage />;
  if (path === '/endpoints/new') return <NewEndpointPage />;
  let m = new RegExp(`^/endpoints/${UUID}$`).exec(path);
  if (m) return <EndpointDetailPage key={m[1]} id={m[1]!} />;
  if (path === '/messages') return <MessagesPage />;
  if (path === '/exports') return <ExportsPage />;
  m = new RegExp(`^/messages/${UUID}$`).exec(path);
  if (m) return <MessageDetailPage key={m[1]} id={m[1]!} />;
  return <NotFound />;
}

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

function NotForRole({ role }: { role: Role }) {
  useEffect(() => {
    document.title = 'Not available · Webhook Archive';
  }, []);
  return (
    <>
      <PageHeader title="Not available to your role" />
      <EmptyState
        title={`The ${role} role cannot open this page`}
        action={
          <Link to="/messages" className="btn btn-primary">
            Go to messages
          </Link>
        }
      />
    </>
  );
}

function NotFound() {
  useEffect(() => {
    document.title = 'Not found · Webhook Archive';
  }, []);
  return (
    <>
      <PageHeader title="Page not found" />
      <EmptyState
        title="There is nothing at this address"
        action={
          <Link to="/endpoints" className="btn btn-primary">
            Go to inbound endpoints
          </Link>
        }
      />
    </>
  );
}

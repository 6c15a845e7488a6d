// The shell: session (admin key), API clients, layout and routes.
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { keyHint, loadAdminKey, type Session, SessionContext, storeAdminKey, useSession } from './auth';
import { LedgerBanner } from './components/ledger-banner';
import { EmptyState, PageHeader } from './components/ui';
import { EndpointDetailPage } from './pages/endpoint-detail';
import { EndpointsPage } from './pages/endpoints';
import { MessageDetailPage } from './pages/message-detail';
import { MessagesPage } from './pages/messages';
import { NewEndpointPage } from './pages/new-endpoint';
import { SignInPage } from './pages/sign-in';
import { Link, navigate, useLocation } from './router';
import { createApiClient, isClientError, isUnauthorized, TRPCProvider } from './trpc';

const SESSION_ENDED =
  'Your admin API key was rejected (401 Unauthorized): it may have been revoked. Sign in again to continue.';

export function App() {
  const [adminKey, setAdminKey] = useState<string | null>(loadAdminKey);
  const [notice, setNotice] = useState<string | null>(null);
  const keyRef = useRef(adminKey);
  keyRef.current = adminKey;

  const signOutRef = useRef<(message?: string) => void>(() => {});
  const [queryClient] = useState(() => {
    const onError = (err: unknown) => {
      if (isUnauthorized(err) && keyRef.current) signOutRef.current(SESSION_ENDED);
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
  const [trpcClient] = useState(() => createApiClient(() => keyRef.current));

  const signOut = useCallback(
    (message?: string) => {
      storeAdminKey(null);
      keyRef.current = null;
      setAdminKey(null);
      setNotice(message ?? null);
      queryClient.clear();
    },
    [queryClient],
  );
  signOutRef.current = signOut;

  const session = useMemo<Session | null>(
    () => (adminKey ? { keyHint: keyHint(adminKey), signOut } : null),
    [adminKey, signOut],
  );

  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {session ? (
          <SessionContext.Provider value={session}>
            <Shell />
          </SessionContext.Provider>
        ) : (
          <SignInPage
            notice={notice}
            onSignedIn={(key) => {
              storeAdminKey(key);
              keyRef.current = key;
              setNotice(null);
              setAdminKey(key);
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

  const section = location.pathname.startsWith('/messages') ? 'messages' : 'endpoints';
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
          <span className="session-key" title="Signed in with this admin API key">
            Admin key <code>{session.keyHint}</code>
          </span>
          <button type="button" className="btn btn-small" onClick={() => session.signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <div className="layout">
        <nav className="sidebar" aria-label="Main">
          <p className="nav-heading">Settings</p>
          <p className="nav-subheading">Webhooks</p>
          <ul>
            <li>
              <Link to="/endpoints" aria-current={section === 'endpoints' ? 'page' : undefined}>
                Inbound endpoints
              </Link>
            </li>
          </ul>
          <p className="nav-heading">Archive</p>
          <ul>
            <li>
              <Link to="/messages" aria-current={section === 'messages' ? 'page' : undefined}>
                Messages
              </Link>
            </li>
          </ul>
        </nav>
        <main id="main" tabIndex={-1}>
          <LedgerBanner />
          <Routes pathname={location.pathname} />
        </main>
      </div>
    </div>
  );
}

const UUID = '([0-9a-fA-F-]{36})';

function Routes({ pathname }: { pathname: string }) {
  const path = pathname.replace(/\/+$/, '') || '/';
  if (path === '/') return <Redirect to="/endpoints" />;
  if (path === '/endpoints') return <EndpointsPage />;
  if (path === '/endpoints/new') return <NewEndpointPage />;
  let m = new RegExp(`^/endpoints/${UUID}$`).exec(path);
  if (m) return <EndpointDetailPage key={m[1]} id={m[1]!} />;
  if (path === '/messages') return <MessagesPage />;
  m = new RegExp(`^/messages/${UUID}$`).exec(path);
  if (m) return <MessageDetailPage key={m[1]} id={m[1]!} />;
  return <NotFound />;
}

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
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

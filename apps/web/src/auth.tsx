// How the UI is signed in: an API key kept in sessionStorage (survives reloads, not closing the
// tab), or a server-side session after single sign-on (an HttpOnly cookie the page never sees,
// plus the CSRF token this page sends with every request).
import { createContext, useContext } from 'react';
import type { Role } from '../../../lib/roles';

export type { Role };

const STORAGE_KEY = 'webhook-archive.admin-key';

export function loadAdminKey(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function storeAdminKey(key: string | null) {
  try {
    if (key === null) sessionStorage.removeItem(STORAGE_KEY);
    else sessionStorage.setItem(STORAGE_KEY, key);
  } catch {
    // Storage disabled: the key then lasts as long as the page.
  }
}

/** What the API client attaches to requests: a key, a session's CSRF token, or nothing. */
export type Credentials = { kind: 'key'; key: string } | { kind: 'session'; csrfToken: string } | null;

export function credentialHeaders(c: Credentials): Record<string, string> {
  if (c?.kind === 'key') return { authorization: `Bearer ${c.key}` };
  if (c?.kind === 'session') return { 'x-csrf-token': c.csrfToken };
  return {};
}

export interface Session {
  role: Role;
  via: 'key' | 'session';
  /** Shown in the header: a key hint (never the whole key) or the user's name. */
  label: string;
  /** What a plain fetch (downloads) must send: the key, or the session's CSRF token. */
  headers(): Record<string, string>;
  signOut(message?: string): void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in session');
  return s;
}

/** What each role sees in the UI; the server enforces the same (apps/server/auth/permissions.ts). */
export const can = {
  manageEndpoints: (r: Role) => r === 'admin',
  manageKeys: (r: Role) => r === 'admin',
  readAudit: (r: Role) => r === 'admin' || r === 'auditor',
  reprocess: (r: Role) => r === 'admin',
};

/** "wa_admin_AbC…xyz9": enough to recognise, useless to an onlooker. */
export function keyHint(key: string): string {
  if (key.length <= 16) return '•'.repeat(Math.min(key.length, 8));
  return `${key.slice(0, 12)}…${key.slice(-4)}`;
}

export interface ServerSession {
  oidc: boolean;
  session: { role: Role; subject: string; displayName: string | null; csrfToken: string } | null;
}

export async function fetchServerSession(): Promise<ServerSession> {
  const res = await fetch('/auth/session', { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`could not read the session (${res.status})`);
  return (await res.json()) as ServerSession;
}

export async function endServerSession(csrfToken: string): Promise<void> {
  await fetch('/auth/logout', { method: 'POST', headers: { 'x-csrf-token': csrfToken } });
}

const AUTH_ERRORS: Record<string, string> = {
  login_expired: 'The sign-in took too long or was started in another tab. Try again.',
  login_failed: 'The identity provider’s answer could not be verified. Try again.',
  idp_error: 'The identity provider refused the sign-in.',
  no_role: 'You signed in, but your account has no role in this archive. Ask an administrator.',
};

/** A sign-in error the server put in the address (?auth_error=…), removed once read. */
export function takeAuthError(): string | null {
  const url = new URL(window.location.href);
  const code = url.searchParams.get('auth_error');
  if (!code) return null;
  url.searchParams.delete('auth_error');
  window.history.replaceState(null, '', url.pathname + url.search);
  return AUTH_ERRORS[code] ?? 'The sign-in failed.';
}

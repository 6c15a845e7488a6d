// The admin key lives in sessionStorage: it survives reloads, not closing the tab.
import { createContext, useContext } from 'react';

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

export interface Session {
  /** Shown in the header so an operator can tell keys apart; never the whole key. */
  keyHint: string;
  signOut(message?: string): void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in session');
  return s;
}

/** "wa_admin_AbC…xyz9": enough to recognise, useless to an onlooker. */
export function keyHint(key: string): string {
  if (key.length <= 16) return '•'.repeat(Math.min(key.length, 8));
  return `${key.slice(0, 12)}…${key.slice(-4)}`;
}

// The pure parts of sign-in: the OIDC settings, claim → role mapping, cookie attributes, and the
// CSRF token's binding to its session.
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../lib/config';
import { strongestRole } from '../../../lib/roles';
import { roleFromClaims } from './oidc-roles';
import { checkCsrf, cookieHeader, csrfTokenFor, readCookie } from './session';

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe('OIDC configuration', () => {
  it('parses the role map and defaults', () => {
    const c = loadConfig({
      OIDC_ISSUER: 'https://idp.example.com/realms/x',
      OIDC_CLIENT_ID: 'archive',
      OIDC_ROLE_MAP: 'archive-admins=admin, compliance = reviewer,auditors=auditor',
    });
    expect(c.OIDC_ROLE_MAP).toEqual([
      { value: 'archive-admins', role: 'admin' },
      { value: 'compliance', role: 'reviewer' },
      { value: 'auditors', role: 'auditor' },
    ]);
    expect(c.OIDC_ROLE_CLAIM).toBe('groups');
    expect(c.OIDC_TENANT).toBe('default');
    expect(c.SESSION_TTL_SECONDS).toBe(8 * 3600);
    expect(loadConfig({}).OIDC_ISSUER).toBeUndefined();
  });

  it('names the variable when a setting is wrong or missing', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ OIDC_ROLE_MAP: 'x=superuser' }, /OIDC_ROLE_MAP/],
      [{ OIDC_ROLE_MAP: 'no-equals' }, /OIDC_ROLE_MAP/],
      [{ OIDC_ISSUER: 'ftp://idp' }, /OIDC_ISSUER/],
      [{ OIDC_ISSUER: 'https://idp.example.com' }, /OIDC_CLIENT_ID and OIDC_ROLE_MAP/],
      [{ OIDC_ISSUER: 'https://idp.example.com', OIDC_CLIENT_ID: 'a' }, /OIDC_ROLE_MAP/],
      [{ SESSION_TTL_SECONDS: '5' }, /SESSION_TTL_SECONDS/],
    ];
    for (const [env, name] of cases) {
      expect(() => loadConfig(env), JSON.stringify(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(name);
    }
  });
});

describe('claim → role', () => {
  const map = [
    { value: 'admins', role: 'admin' as const },
    { value: 'compliance', role: 'reviewer' as const },
    { value: 'audit', role: 'auditor' as const },
  ];
  it('takes the strongest role any value maps to, from a string or an array claim', () => {
    expect(roleFromClaims({ groups: ['audit', 'compliance'] }, 'groups', map)).toBe('reviewer');
    expect(roleFromClaims({ groups: ['audit', 'admins'] }, 'groups', map)).toBe('admin');
    expect(roleFromClaims({ role: 'audit' }, 'role', map)).toBe('auditor');
  });
  it('gives no role for unmapped, missing or non-string values', () => {
    expect(roleFromClaims({ groups: ['staff'] }, 'groups', map)).toBeNull();
    expect(roleFromClaims({}, 'groups', map)).toBeNull();
    expect(roleFromClaims({ groups: [{ admins: true }, 42] }, 'groups', map)).toBeNull();
    expect(roleFromClaims({ groups: 'Admins' }, 'groups', map)).toBeNull(); // exact match only
    expect(strongestRole([])).toBeNull();
  });
});

describe('session cookie and CSRF token', () => {
  it('is HttpOnly and SameSite=Lax always, Secure only behind https', () => {
    expect(cookieHeader('wa_session', 'abc', { secure: false, maxAge: 60 })).toBe(
      'wa_session=abc; Path=/; Max-Age=60; HttpOnly; SameSite=Lax',
    );
    expect(cookieHeader('wa_session', 'abc', { secure: true, maxAge: 60 })).toMatch(/; Secure$/);
  });
  it('reads a cookie among others and rejects malformed values', () => {
    expect(readCookie(req({ cookie: 'a=1; wa_session=tok_en-1; b=2' }), 'wa_session')).toBe('tok_en-1');
    expect(readCookie(req({ cookie: 'wa_session=bad value"' }), 'wa_session')).toBeNull();
    expect(readCookie(req({}), 'wa_session')).toBeNull();
  });
  it('accepts only the token of this session', () => {
    const token = csrfTokenFor('session-one');
    expect(token).not.toBe(csrfTokenFor('session-two'));
    expect(checkCsrf(req({ 'x-csrf-token': token }), 'session-one')).toBe(true);
    expect(checkCsrf(req({ 'x-csrf-token': token }), 'session-two')).toBe(false);
    expect(checkCsrf(req({}), 'session-one')).toBe(false);
    expect(checkCsrf(req({ 'x-csrf-token': '' }), 'session-one')).toBe(false);
  });
});

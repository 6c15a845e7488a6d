// The README's producer table is the contract people build against: it must list every code the
// ingest path can answer with, under the status ERROR_STATUS sends it with.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_STATUS, HttpError } from './respond';

// Codes only the admin downloads and the router answer with (documented with the admin API).
const NOT_INGEST = new Set([
  'not_found',
  'not_stored',
  'export_expired',
  'internal_error',
  'too_many_failed_attempts',
  'forbidden',
  'csrf_failed',
  'oidc_not_configured',
  'tenant_not_found',
]);

describe('ERROR_STATUS', () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## The producer contract'));
  const rows = new Map<string, number>();
  for (const m of section.matchAll(/^\| (\d{3}) \| ([^|]*)\|/gm)) {
    for (const code of m[2]!.matchAll(/`([a-z_]+)`/g)) rows.set(code[1]!, Number(m[1]));
  }

  it.each(Object.entries(ERROR_STATUS).filter(([code]) => !NOT_INGEST.has(code)))(
    '%s is in the README table with status %i',
    (code, status) => {
      expect(rows.get(code)).toBe(status);
    },
  );

  it('builds an HttpError from its code alone', () => {
    const err = new HttpError('backlog_full', 'catching up', { 'retry-after': '5' });
    expect(err.status).toBe(503);
    expect(err.headers['retry-after']).toBe('5');
  });
});

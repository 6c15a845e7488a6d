// Client-side IP allowlist validation, for feedback while typing. The server (lib/cidr.ts) is
// the authority; this is deliberately a little stricter (plain dotted-quad IPv4 only, no zone
// ids) so that what passes here is accepted there.
import { ENDPOINT_LIMITS } from '../../../../lib/limits';

export const MAX_ALLOWLIST_ENTRIES = ENDPOINT_LIMITS.ipAllowlistEntries;
export const MAX_ENTRY_LENGTH = ENDPOINT_LIMITS.ipAllowlistEntryLength;

export type CidrCheck =
  | { ok: true; family: 4 | 6; canonicalHint?: string; note?: string }
  | { ok: false; message: string };

export interface AllowlistIssue {
  /** 1-based line number in the textarea. */
  line: number;
  value: string;
  message: string;
  severity: 'error' | 'warning';
}

export interface AllowlistResult {
  entries: string[];
  issues: AllowlistIssue[];
  hasErrors: boolean;
}

/** Checks one entry: an IPv4/IPv6 address or a CIDR range. */
export function checkCidr(input: string): CidrCheck {
  const s = input.trim();
  if (s === '') return { ok: false, message: 'empty entry' };
  if (s.length > MAX_ENTRY_LENGTH)
    return { ok: false, message: `longer than ${MAX_ENTRY_LENGTH} characters` };
  if (/[\s,;]/.test(s)) return { ok: false, message: 'put one address or range per line' };

  const slash = s.indexOf('/');
  const addrText = slash === -1 ? s : s.slice(0, slash);
  const prefixText = slash === -1 ? null : s.slice(slash + 1);
  if (prefixText?.includes('/')) return { ok: false, message: 'more than one "/"' };

  const v4 = parseIPv4(addrText);
  const v6 = v4 ? null : parseIPv6(addrText);
  if (!v4 && !v6) {
    if (/^\d+(\.\d+){3}$/.test(addrText)) {
      return /(^|\.)0\d/.test(addrText)
        ? { ok: false, message: 'leading zeros in an IPv4 address are ambiguous' }
        : { ok: false, message: 'each IPv4 part must be 0–255' };
    }
    return { ok: false, message: 'not a valid IPv4 or IPv6 address' };
  }
  const bytes = (v4 ?? v6)!;
  const maxBits = v4 ? 32 : 128;

  if (prefixText === null) return { ok: true, family: v4 ? 4 : 6 };
  if (!/^\d{1,3}$/.test(prefixText)) return { ok: false, message: 'the prefix after "/" must be a number' };
  const prefix = Number(prefixText);
  if (prefix > maxBits) return { ok: false, message: `the prefix must be 0–${maxBits} for IPv${v4 ? 4 : 6}` };

  if (v6 && isIPv4Mapped(v6)) {
    if (prefix < 96) return { ok: false, message: 'an IPv4-mapped range needs a prefix of at least /96' };
    const inner = v6.slice(12);
    const network = maskBytes(inner, prefix - 96);
    return {
      ok: true,
      family: 6,
      canonicalHint: `${network.join('.')}/${prefix - 96}`,
      note: 'IPv4-mapped: stored as the IPv4 range',
    };
  }

  const network = maskBytes(bytes, prefix);
  if (network.some((b, i) => b !== bytes[i])) {
    return {
      ok: true,
      family: v4 ? 4 : 6,
      ...(v4 ? { canonicalHint: `${network.join('.')}/${prefix}` } : {}),
      note: 'host bits are set: the range is stored as its network address',
    };
  }
  return { ok: true, family: v4 ? 4 : 6 };
}

/** Validates the allowlist textarea: one entry per line, blank lines ignored. */
export function validateAllowlist(text: string): AllowlistResult {
  const entries: string[] = [];
  const issues: AllowlistIssue[] = [];
  const seen = new Map<string, number>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const value = raw.trim();
    if (value === '') return;
    const line = i + 1;
    const r = checkCidr(value);
    if (!r.ok) {
      issues.push({ line, value, message: r.message, severity: 'error' });
      return;
    }
    const key = (r.canonicalHint ?? value).toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) {
      issues.push({ line, value, message: `same range as line ${first}`, severity: 'warning' });
    } else {
      seen.set(key, line);
    }
    if (r.note) {
      const hint = r.canonicalHint ? ` (${r.canonicalHint})` : '';
      issues.push({ line, value, message: `${r.note}${hint}`, severity: 'warning' });
    }
    entries.push(value);
  });
  if (entries.length > MAX_ALLOWLIST_ENTRIES) {
    issues.push({
      line: 0,
      value: '',
      message: `at most ${MAX_ALLOWLIST_ENTRIES} entries (${entries.length} given)`,
      severity: 'error',
    });
  }
  return { entries, issues, hasErrors: issues.some((x) => x.severity === 'error') };
}

export function parseIPv4(s: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  const parts = m.slice(1);
  // "010" would be read as octal by some parsers: refuse rather than guess.
  if (parts.some((p) => p.length > 1 && p.startsWith('0'))) return null;
  const bytes = parts.map(Number);
  return bytes.every((b) => b <= 255) ? bytes : null;
}

export function parseIPv6(input: string): number[] | null {
  let s = input;
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(':')) return null;
  // A trailing dotted IPv4 (::ffff:192.0.2.1) becomes two hex groups.
  if (s.includes('.')) {
    const lastColon = s.lastIndexOf(':');
    const v4 = parseIPv4(s.slice(lastColon + 1));
    if (!v4) return null;
    s = `${s.slice(0, lastColon + 1)}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const left = groups(halves[0]!);
  const right = halves.length === 2 ? groups(halves[1]!) : [];
  const all = [...left, ...right];
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  if (halves.length === 1 ? left.length !== 8 : all.length > 7) return null;
  const full = [...left, ...Array<string>(8 - all.length).fill('0'), ...right];
  return full.flatMap((g) => {
    const n = Number.parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
}

function isIPv4Mapped(bytes: number[]): boolean {
  return bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
}

function maskBytes(bytes: number[], prefix: number): number[] {
  return bytes.map((b, i) => {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    return b & ((0xff << (8 - bits)) & 0xff);
  });
}

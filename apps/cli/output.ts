// Human-readable and JSON rendering. Everything shown comes from the archive, and message fields
// come from external producers: control and bidi characters are escaped so no value can drive
// the operator's terminal.

// C0 and C1 controls, DEL, and the Unicode bidi overrides/isolates ("Trojan Source").
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE_KEEP_LAYOUT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

// A surrogate without its partner would print as U+FFFD: shown as its escape instead.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeChar(c: string): string {
  const known = ESCAPES[c];
  if (known) return known;
  const code = c.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** One line, safe for a terminal. */
export function clean(s: string): string {
  return s.replace(UNSAFE, escapeChar).replace(LONE_SURROGATE, escapeChar);
}

/** Multi-line text (a message body), safe for a terminal; newlines and tabs are kept. */
export function cleanMultiline(s: string): string {
  return s.replace(/\r\n/g, '\n').replace(UNSAFE_KEEP_LAYOUT, escapeChar).replace(LONE_SURROGATE, escapeChar);
}

export function truncate(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
}

const width = (s: string) => [...s].length;

/** Pretty JSON; C1 controls, which JSON.stringify leaves raw, are escaped too (still valid JSON). */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}

/** An aligned table: header row, then one row per item; two spaces between columns. */
export function table(headers: string[], rows: string[][]): string {
  const all = [headers, ...rows.map((r) => r.map(clean))];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => width(r[i] ?? ''))));
  return all
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - width(cell))))
        .join('  ')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}

/** `label: value` lines with the values aligned. Null values are left out. */
export function keyValues(pairs: [string, string | null][]): string {
  const shown = pairs.filter((p): p is [string, string] => p[1] !== null);
  const pad = Math.max(...shown.map(([k]) => width(k))) + 2;
  return shown.map(([k, v]) => `${`${k}:`.padEnd(pad)}${clean(v)}\n`).join('');
}

/** Indents every line of a block of text. */
export function indent(s: string, by = '  '): string {
  return s
    .split('\n')
    .map((line) => (line ? by + line : line))
    .join('\n');
}

// A delivery's body as the presets read it. SaaS tools send JSON mostly, but Slack's slash
// commands and many small tools send form-encoded or plain text: those are archived too, as text.
import type { IncomingHttpHeaders } from 'node:http';
import { jsonDepthExceeds, MAX_JSON_DEPTH } from '../../../../lib/payload';

export type DecodedBody =
  | { kind: 'json'; value: unknown }
  | { kind: 'form'; value: Record<string, unknown>; text: string }
  | { kind: 'text'; text: string };

export type DecodeResult =
  | { ok: true; body: DecodedBody }
  | { ok: false; code: 'invalid_json'; message: string };

// The mapped message nests the provider's JSON one level down (two for a form's JSON `payload`),
// and the workflow re-checks it against MAX_JSON_DEPTH: leave that room here.
const DEPTH = MAX_JSON_DEPTH - 1;

export function decodeBody(headers: IncomingHttpHeaders, raw: Buffer): DecodeResult {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    return { ok: false, code: 'invalid_json', message: 'body is not valid UTF-8' };
  }
  const type = (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const looksJson = type === '' && /^\s*[{[]/.test(text);
  if (type === 'application/json' || type.endsWith('+json') || looksJson) {
    if (jsonDepthExceeds(text, DEPTH)) {
      return { ok: false, code: 'invalid_json', message: `JSON nesting deeper than ${DEPTH} levels` };
    }
    try {
      return { ok: true, body: { kind: 'json', value: JSON.parse(text) } };
    } catch (err) {
      return {
        ok: false,
        code: 'invalid_json',
        message: `body is not valid JSON: ${(err as Error).message}`,
      };
    }
  }
  if (type === 'application/x-www-form-urlencoded') {
    return { ok: true, body: { kind: 'form', value: formFields(text), text } };
  }
  return { ok: true, body: { kind: 'text', text } };
}

/** Form fields; a repeated name becomes an array. Slack's interactive `payload=<json>` is parsed. */
function formFields(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(text)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  if (
    typeof out.payload === 'string' &&
    /^\s*\{/.test(out.payload) &&
    !jsonDepthExceeds(out.payload, DEPTH - 1)
  ) {
    try {
      out.payload = JSON.parse(out.payload);
    } catch {
      // Not JSON after all: keep the text.
    }
  }
  return out;
}

/** The structured view a JSON Pointer resolves against: the JSON value or the form fields. */
export const structured = (body: DecodedBody): unknown => (body.kind === 'text' ? undefined : body.value);

/** RFC 6901 evaluation; undefined when the pointer leads nowhere. */
export function resolvePointer(doc: unknown, pointer: string): unknown {
  if (pointer === '') return doc;
  let cur = doc;
  for (const token of pointer.slice(1).split('/')) {
    const key = token.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9]\d*)$/.test(key)) return undefined;
      cur = cur[Number(key)];
    } else if (cur !== null && typeof cur === 'object' && Object.hasOwn(cur, key)) {
      cur = (cur as Record<string, unknown>)[key];
    } else return undefined;
  }
  return cur;
}

/** A pointer's value as text, for the fields the presets read; objects don't count. */
export function textAt(doc: unknown, pointer: string): string | undefined {
  const v = resolvePointer(doc, pointer);
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

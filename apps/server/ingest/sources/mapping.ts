// A verified delivery → the archive's message: the preset's defaults, overridden field by field by
// the endpoint's declarative `mapping`, then checked by the very schema producers of the contract
// face. The provider's whole JSON (or form fields) is kept as the message's `provider` field.
import type { IncomingHttpHeaders } from 'node:http';
import { sha256Hex } from '../../../../lib/crypto';
import { extraFields, type ParseResult, type Payload, payloadSchema } from '../../../../lib/payload';
import type { FieldSource, SourceConfig } from '../../../../lib/sources/config';
import { decodeBody, resolvePointer, structured } from './body';
import type { Delivery, Participant, SourcePreset } from './types';
import { header } from './verify-util';

export interface MapRequest {
  headers: IncomingHttpHeaders;
  raw: Buffer;
  receivedAt: Date;
  config: SourceConfig;
}

/** A mapped message and its JSON bytes, which travel to the workflow next to the raw bytes. */
export type MapResult = ParseResult & { mapped?: Buffer };

type Issues = { path: string; message: string }[];

export function mapDelivery(
  preset: SourcePreset,
  req: MapRequest,
): MapResult | { reply: Record<string, unknown> } {
  const decoded = decodeBody(req.headers, req.raw);
  if (!decoded.ok) return decoded;
  const delivery: Delivery = { ...req, body: decoded.body };
  const reply = preset.reply?.(delivery);
  if (reply) return { reply };

  const d = preset.describe(delivery);
  const issues: Issues = [];
  const pick = (field: keyof NonNullable<SourceConfig['mapping']>) => {
    const src = req.config.mapping?.[field];
    return src === undefined ? undefined : resolveSource(src, delivery, field, issues);
  };

  const externalId = asText(pick('externalId')) ?? d.externalId ?? `sha256:${sha256Hex(req.raw)}`;
  const mappedTime = pick('occurredAt');
  let occurredAt = toIsoTime(mappedTime ?? d.occurredAt) ?? req.receivedAt.toISOString();
  if (mappedTime !== undefined && toIsoTime(mappedTime) === undefined) {
    issues.push({
      path: 'mapping.occurredAt',
      message: `${JSON.stringify(mappedTime)} is not a date or unix time`,
    });
    occurredAt = req.receivedAt.toISOString();
  }
  const from = toParticipant(pick('from')) ?? d.from ?? { identifier: preset.kind };
  const to = toParticipants(pick('to')) ?? d.to ?? [];
  const summary = [d.event, d.text].filter((s) => s !== undefined && s !== '').join(': ');
  const body =
    asText(pick('body')) ??
    (decoded.body.kind === 'text'
      ? decoded.body.text
      : summary || (decoded.body.kind === 'form' ? decoded.body.text : ''));

  const message: Record<string, unknown> = {
    external_id: externalId,
    occurred_at: occurredAt,
    from,
    to,
    body,
    attachments: [],
    source: preset.kind,
    ...(d.event !== undefined ? { event: d.event } : {}),
    ...(decoded.body.kind !== 'text' ? { provider: structured(decoded.body) } : {}),
  };
  const parsed = payloadSchema.safeParse(message);
  if (!parsed.success) {
    for (const i of parsed.error.issues)
      issues.push({ path: i.path.join('.') || '(root)', message: i.message });
  }
  if (issues.length > 0 || !parsed.success) {
    return {
      ok: false,
      code: 'validation_failed',
      message: 'the delivery does not map to a valid message; check the endpoint mapping',
      issues,
    };
  }
  const payload: Payload = parsed.data;
  return { ok: true, payload, extra: extraFields(payload), mapped: Buffer.from(JSON.stringify(message)) };
}

function resolveSource(src: FieldSource, delivery: Delivery, field: string, issues: Issues): unknown {
  if ('value' in src) return src.value;
  const v =
    'pointer' in src
      ? resolvePointer(structured(delivery.body), src.pointer)
      : header(delivery.headers, src.header);
  if (v !== undefined && v !== null && v !== '') return v;
  if (src.default !== undefined) return src.default;
  const where = 'pointer' in src ? `JSON Pointer ${src.pointer}` : `header ${src.header}`;
  issues.push({
    path: `mapping.${field}`,
    message: `${where} is absent from the delivery and has no default`,
  });
  return undefined;
}

function asText(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** ISO 8601 with an offset, unix seconds, or unix milliseconds (numbers or numeric strings). */
export function toIsoTime(v: unknown): string | undefined {
  if (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v.trim())) return toIsoTime(Number(v));
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v <= 0) return undefined;
    const d = new Date(v > 1e11 ? v : v * 1000);
    return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
  }
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/i.test(v.trim())) {
    const d = new Date(v);
    return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
  }
  return undefined;
}

function toParticipant(v: unknown): Participant | undefined {
  if (v !== null && typeof v === 'object' && typeof (v as Participant).identifier === 'string') {
    const p = v as Participant;
    return {
      identifier: p.identifier,
      ...(typeof p.display_name === 'string' ? { display_name: p.display_name } : {}),
    };
  }
  const text = asText(v);
  return text === undefined ? undefined : { identifier: text };
}

function toParticipants(v: unknown): Participant[] | undefined {
  if (v === undefined) return undefined;
  const list = Array.isArray(v) ? v : [v];
  return list.map(toParticipant).filter((p): p is Participant => p !== undefined);
}

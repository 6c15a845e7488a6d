// GitHub: X-Hub-Signature-256 = "sha256=" + hex HMAC-SHA256(secret, raw body). GitHub sends no
// timestamp, so replays are caught by the delivery id (X-GitHub-Delivery), which is the message's id.
import { structured, textAt } from './body';
import type { SourcePreset } from './types';
import { decodeSignature, digestEqual, header, hmac, mismatch, missing } from './verify-util';

// The main text of the common events, in order of preference.
const TEXT_POINTERS = [
  '/comment/body',
  '/review/body',
  '/issue/title',
  '/pull_request/title',
  '/head_commit/message',
  '/release/name',
  '/discussion/title',
  '/workflow_run/display_title',
];

export const github: SourcePreset = {
  kind: 'github',
  signatureHeaders: ['x-hub-signature-256', 'x-hub-signature'],
  verify({ headers, raw, secret }) {
    const sig = header(headers, 'x-hub-signature-256');
    if (!sig) return missing('missing X-Hub-Signature-256 header');
    if (!sig.startsWith('sha256=')) return mismatch('X-Hub-Signature-256 must start with sha256=');
    const expected = hmac('sha256', secret, [raw]);
    if (!digestEqual(expected, decodeSignature(sig.slice(7), 'hex')))
      return mismatch('invalid X-Hub-Signature-256');
    return { ok: true };
  },
  describe({ headers, body }) {
    const doc = structured(body);
    const event = header(headers, 'x-github-event');
    const action = textAt(doc, '/action');
    const sender = textAt(doc, '/sender/login');
    const target = textAt(doc, '/repository/full_name') ?? textAt(doc, '/organization/login');
    return {
      externalId: header(headers, 'x-github-delivery'),
      event: event && action ? `${event}.${action}` : event,
      from: sender ? { identifier: `github:${sender}`, display_name: sender } : { identifier: 'github' },
      to: target ? [{ identifier: `github:${target}`, display_name: target }] : [],
      text: TEXT_POINTERS.map((p) => textAt(doc, p)).find((t) => t !== undefined),
    };
  },
};

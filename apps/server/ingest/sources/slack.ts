// Slack: X-Slack-Signature = "v0=" + hex HMAC-SHA256(signing secret, "v0:{X-Slack-Request-Timestamp}:{body}"),
// 5 minutes of tolerance. The Events API's url_verification handshake is answered, not archived.
import { structured, textAt } from './body';
import type { SourcePreset } from './types';
import {
  checkTimestamp,
  DEFAULT_TOLERANCE_SECONDS,
  decodeSignature,
  digestEqual,
  header,
  hmac,
  mismatch,
  missing,
  parseUnixSeconds,
} from './verify-util';

export const slack: SourcePreset = {
  kind: 'slack',
  signatureHeaders: ['x-slack-signature'],
  verify({ headers, raw, secret, now }) {
    const sig = header(headers, 'x-slack-signature');
    const ts = header(headers, 'x-slack-request-timestamp');
    if (!sig || !ts) return missing('missing X-Slack-Signature or X-Slack-Request-Timestamp');
    if (!sig.startsWith('v0=')) return mismatch('X-Slack-Signature must start with v0=');
    if (!digestEqual(hmac('sha256', secret, [`v0:${ts}:`, raw]), decodeSignature(sig.slice(3), 'hex')))
      return mismatch('invalid X-Slack-Signature');
    return checkTimestamp(parseUnixSeconds(ts), now, DEFAULT_TOLERANCE_SECONDS, 'X-Slack-Request-Timestamp');
  },
  reply({ body }) {
    const doc = structured(body);
    const challenge = textAt(doc, '/challenge');
    return textAt(doc, '/type') === 'url_verification' && challenge ? { challenge } : undefined;
  },
  describe({ body }) {
    const doc = structured(body);
    // Events API (JSON) first, then slash commands and interactivity (form-encoded).
    const user = textAt(doc, '/event/user') ?? textAt(doc, '/user_id') ?? textAt(doc, '/payload/user/id');
    const userName = textAt(doc, '/user_name') ?? textAt(doc, '/payload/user/username');
    const channel =
      textAt(doc, '/event/channel') ?? textAt(doc, '/channel_id') ?? textAt(doc, '/payload/channel/id');
    const team = textAt(doc, '/team_id') ?? textAt(doc, '/payload/team/id');
    const command = textAt(doc, '/command');
    return {
      externalId:
        textAt(doc, '/event_id') ?? textAt(doc, '/trigger_id') ?? textAt(doc, '/payload/trigger_id'),
      occurredAt: textAt(doc, '/event_time') ?? textAt(doc, '/event/ts'),
      event: textAt(doc, '/event/type') ?? command ?? textAt(doc, '/payload/type') ?? textAt(doc, '/type'),
      from: user
        ? { identifier: `slack:${user}`, ...(userName ? { display_name: userName } : {}) }
        : { identifier: 'slack' },
      to: channel ? [{ identifier: `slack:${channel}` }] : team ? [{ identifier: `slack:${team}` }] : [],
      text: textAt(doc, '/event/text') ?? textAt(doc, '/text'),
    };
  },
};

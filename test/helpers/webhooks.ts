// Producers as the contract describes them: JSON bodies, Bearer or HMAC-signed.
import { createHmac, randomUUID } from 'node:crypto';

export function samplePayload(overrides: Record<string, unknown> = {}) {
  return {
    external_id: `msg-${randomUUID()}`,
    occurred_at: '2026-05-28T14:30:00Z',
    from: { identifier: 'alice@example.com', display_name: 'Alice' },
    to: [{ identifier: 'bob@example.com', display_name: 'Bob' }],
    body: 'message text',
    attachments: [],
    ...overrides,
  };
}

export function sign(secret: string, body: string | Uint8Array): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

export function postBearer(url: string, secret: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export function postHmac(url: string, secret: string, body: unknown, headers: Record<string, string> = {}) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  return fetch(url, {
    method: 'POST',
    headers: { 'x-comma-signature': sign(secret, raw), 'content-type': 'application/json', ...headers },
    body: raw,
  });
}

export interface Ack {
  status: 'accepted' | 'duplicate';
  message_id: string;
  external_id: string;
  workflow_id: string;
}

export interface ErrorBody {
  error: { code: string; message: string };
  issues?: { path: string; message: string }[];
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './helpers/stack';
import { adminClient } from './helpers/trpc-client';

describe('smoke', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.close());

  it('creates an endpoint and archives a message', async () => {
    const { adminKey } = await stack.newTenant();
    const api = adminClient(stack.baseUrl, adminKey);
    const { endpoint, secret } = await api.endpoints.create.mutate({ name: 'smoke', authMode: 'bearer' });
    const res = await fetch(endpoint.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        external_id: 'm1',
        occurred_at: '2026-05-28T14:30:00Z',
        from: { identifier: 'a@x' },
        to: [],
        body: 'hi',
      }),
    });
    expect(res.status).toBe(200);
    const ack = (await res.json()) as { message_id: string };
    await expect
      .poll(async () => (await api.messages.get.query({ id: ack.message_id })).status, { timeout: 20_000 })
      .toBe('archived');
  });
});

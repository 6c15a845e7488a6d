import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ipInCidrs } from '../../../lib/cidr';
import { clientIp } from './client-ip';

const req = (peer: string, xff?: string) =>
  ({
    socket: { remoteAddress: peer },
    headers: xff === undefined ? {} : { 'x-forwarded-for': xff },
  }) as unknown as IncomingMessage;

describe('clientIp', () => {
  it('ignores X-Forwarded-For unless the peer is a trusted proxy', () => {
    expect(clientIp(req('203.0.113.9', '10.1.2.3'), [])).toBe('203.0.113.9');
    expect(clientIp(req('203.0.113.9', '10.1.2.3'), ['192.0.2.0/24'])).toBe('203.0.113.9');
  });

  it('walks X-Forwarded-For right to left past trusted proxies only', () => {
    const trusted = ['192.0.2.0/24', '10.0.0.0/8'];
    expect(clientIp(req('192.0.2.1', '198.51.100.7'), trusted)).toBe('198.51.100.7');
    // The client wrote "1.1.1.1" itself; the first untrusted hop from the right is the client.
    expect(clientIp(req('192.0.2.1', '1.1.1.1, 198.51.100.7, 10.0.0.5'), trusted)).toBe('198.51.100.7');
    // Garbage in the header: fall back to the peer rather than believe it.
    expect(clientIp(req('192.0.2.1', 'not-an-ip'), trusted)).toBe('192.0.2.1');
  });

  it('answers per request on a kept-alive connection: its peer is cached, forwarded hops are not', () => {
    const socket = { remoteAddress: '192.0.2.1' };
    const on = (xff?: string) =>
      ({
        socket,
        headers: xff === undefined ? {} : { 'x-forwarded-for': xff },
      }) as unknown as IncomingMessage;
    const trusted = ['192.0.2.0/24'];
    expect(clientIp(on('198.51.100.7'), trusted)).toBe('198.51.100.7');
    expect(clientIp(on('198.51.100.8'), trusted)).toBe('198.51.100.8');
    expect(clientIp(on(), [])).toBe('192.0.2.1');
    expect(clientIp(on('198.51.100.9'), [])).toBe('192.0.2.1');
    // Another connection from another peer is not answered with the first one's address.
    expect(clientIp(req('::ffff:203.0.113.9'), [])).toBe('203.0.113.9');
  });

  it('treats IPv4-mapped IPv6 peers as the IPv4 address they carry', () => {
    expect(clientIp(req('::ffff:203.0.113.9'), [])).toBe('203.0.113.9');
    expect(clientIp(req('::ffff:192.0.2.1', '198.51.100.7'), ['192.0.2.0/24'])).toBe('198.51.100.7');
  });
});

describe('ipInCidrs (the allowlist check)', () => {
  it('matches IPv4, IPv6 and IPv4-mapped IPv6, and nothing across families', () => {
    expect(ipInCidrs('10.3.4.5', ['10.0.0.0/8'])).toBe(true);
    expect(ipInCidrs('::ffff:10.3.4.5', ['10.0.0.0/8'])).toBe(true);
    expect(ipInCidrs('11.3.4.5', ['10.0.0.0/8'])).toBe(false);
    expect(ipInCidrs('2001:db8::5', ['2001:db8::/32'])).toBe(true);
    expect(ipInCidrs('2001:db9::5', ['2001:db8::/32'])).toBe(false);
    expect(ipInCidrs('::1', ['127.0.0.1/32'])).toBe(false);
    expect(ipInCidrs('garbage', ['0.0.0.0/0'])).toBe(false);
  });
});

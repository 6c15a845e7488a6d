import { describe, expect, it } from 'vitest';
import { AdminAuthThrottle, type FailureBurst } from './admin-auth-throttle';
import { addressBucket } from './source-address';

function throttle(burst: number, perMinute: number) {
  let t = 0;
  const started: FailureBurst[] = [];
  const ended: FailureBurst[] = [];
  const th = new AdminAuthThrottle(
    { burst, perMinute },
    { throttled: (b) => started.push(b), ended: (b) => ended.push(b) },
    () => t,
  );
  return { th, started, ended, advance: (ms: number) => (t += ms) };
}

describe('AdminAuthThrottle', () => {
  it('answers 401 within the burst, then 429 with the time to the next token', () => {
    const { th, started, advance } = throttle(3, 60); // one token a second
    expect([1, 2, 3].map(() => th.fail('10.0.0.1').status)).toEqual([401, 401, 401]);
    const refused = th.fail('10.0.0.1');
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({ source: '10.0.0.1', failures: 4, refused: 1 });
    expect(th.fail('10.0.0.2').status).toBe(401); // another address has its own budget
    advance(1000);
    expect(th.fail('10.0.0.1').status).toBe(401);
    expect(th.fail('10.0.0.1').status).toBe(429);
    expect(started).toHaveLength(1); // one report per burst, not per failure
    th.close();
  });

  it('reports a throttled burst once its bucket is full again, with its counts', () => {
    const { th, ended, advance } = throttle(2, 60);
    for (let i = 0; i < 5; i++) th.fail('10.0.0.1');
    th.fail('10.0.0.9'); // never throttled: not a burst worth reporting
    advance(1000);
    th.sweep();
    expect(ended).toEqual([]);
    advance(1000);
    th.sweep();
    expect(ended).toHaveLength(1);
    expect(ended[0]).toMatchObject({ source: '10.0.0.1', failures: 5, refused: 3 });
    expect(th.fail('10.0.0.1').status).toBe(401); // a fresh budget
    th.close();
  });

  it('charges IPv6 to the /64, IPv4 to the address', () => {
    expect(addressBucket('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressBucket('2001:db8:1:2:bbbb::7')).toBe('2001:db8:1:2::/64');
    expect(addressBucket('192.0.2.7')).toBe('192.0.2.7');
    expect(addressBucket(null)).toBe('unknown');
  });
});

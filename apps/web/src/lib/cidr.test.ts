// The UI's allowlist check against the server's (lib/cidr.ts): whatever the UI lets through,
// the server must accept, and the canonical form it predicts must be what the server stores.
import { describe, expect, it } from 'vitest';
import { canonicalCidr } from '../../../../lib/cidr';
import { checkCidr, validateAllowlist } from './cidr';

const VALID = [
  '10.0.0.0/8',
  '203.0.113.7',
  '0.0.0.0/0',
  '255.255.255.255/32',
  '192.168.1.0/24',
  '10.1.2.3/8',
  '::1',
  '::',
  '::/0',
  '2001:db8::/32',
  '2001:DB8:0:0:0:0:0:1/128',
  'fe80::1:2:3:4/64',
  '::ffff:192.0.2.1',
  '::ffff:192.0.2.0/120',
  '1:2:3:4:5:6:7:8',
  '1::8',
  '1:2:3:4:5:6::',
  '64:ff9b::192.0.2.33',
];

const INVALID = [
  '',
  '10.0.0.0/33',
  '300.1.2.3',
  '1.2.3',
  '1.2.3.4.5',
  '010.0.0.1',
  '10.0.0.0/',
  '10.0.0.0/8/8',
  '10.0.0.0/-1',
  '10.0.0.0/ 8',
  '10.0.0.0, 11.0.0.0/8',
  'example.com',
  '2001:db8::/129',
  '1:2:3:4:5:6:7:8:9',
  '1::2::3',
  ':1::',
  '12345::',
  'fe80::1%eth0',
  '::ffff:192.0.2.0/95',
  `${'1'.repeat(65)}`,
];

describe('client-side CIDR check', () => {
  it.each(VALID)('accepts %s, and so does the server', (entry) => {
    const r = checkCidr(entry);
    expect(r.ok).toBe(true);
    const server = canonicalCidr(entry);
    expect(server).not.toBeNull();
    if (r.ok && r.canonicalHint) expect(r.canonicalHint).toBe(server);
  });

  it.each(INVALID)('refuses %j', (entry) => {
    const r = checkCidr(entry);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message.length).toBeGreaterThan(0);
  });

  it('checks a textarea line by line, with line numbers, warnings for duplicates and host bits', () => {
    const r = validateAllowlist('10.0.0.0/8\n\n10.0.0.0/33\n10.1.2.3/8\n  ::1  \n');
    expect(r.entries).toEqual(['10.0.0.0/8', '10.1.2.3/8', '::1']);
    expect(r.hasErrors).toBe(true);
    expect(r.issues).toEqual([
      expect.objectContaining({ line: 3, severity: 'error', message: 'the prefix must be 0–32 for IPv4' }),
      expect.objectContaining({ line: 4, severity: 'warning', message: 'same range as line 1' }),
      expect.objectContaining({
        line: 4,
        severity: 'warning',
        message: expect.stringContaining('10.0.0.0/8'),
      }),
    ]);
    expect(validateAllowlist('').hasErrors).toBe(false);
    expect(validateAllowlist(Array.from({ length: 101 }, (_, i) => `10.0.0.${i}`).join('\n')).hasErrors).toBe(
      true,
    );
  });
});

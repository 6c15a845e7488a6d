// The request span's sampling decision from the standard OTEL_TRACES_SAMPLER(_ARG) variables
// (as lib/config.ts parses them).
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { rootSampler } from './otel';

const ids = Array.from({ length: 4000 }, () => randomBytes(16).toString('hex'));
type Env = Parameters<typeof rootSampler>[0];
const share = (env: Env) => ids.filter(rootSampler(env)).length / ids.length;

describe('rootSampler', () => {
  it('traces every request by default (parentbased_always_on)', () => {
    expect(share({})).toBe(1);
    expect(share({ OTEL_TRACES_SAMPLER: 'always_on' })).toBe(1);
  });
  it('traces nothing when off', () => {
    expect(share({ OTEL_TRACES_SAMPLER: 'always_off' })).toBe(0);
    expect(share({ OTEL_TRACES_SAMPLER: 'parentbased_always_off' })).toBe(0);
  });
  it('keeps the configured ratio of traces, by trace id (the same id, the same decision)', () => {
    const tenth = share({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: 0.1 });
    expect(tenth).toBeGreaterThan(0.07);
    expect(tenth).toBeLessThan(0.13);
    expect(share({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: 0 })).toBe(0);
    const a = rootSampler({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: 0.5 });
    const b = rootSampler({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: 0.5 });
    expect(ids.map(a)).toEqual(ids.map(b));
  });
});

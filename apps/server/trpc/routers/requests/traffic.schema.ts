import { z } from 'zod';

/** 24 h per minute, or 7 days per hour. */
export const TRAFFIC_RANGES = {
  '24h': { hours: 24, bucket: 'minute' },
  '7d': { hours: 168, bucket: 'hour' },
} as const;

export const ZRequestTrafficInput = z.object({
  endpointId: z.uuid(),
  range: z.enum(['24h', '7d']).default('24h'),
});
export type RequestTrafficInput = z.infer<typeof ZRequestTrafficInput>;

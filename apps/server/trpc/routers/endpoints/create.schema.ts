import { z } from 'zod';
import { authModeEnum } from '../../../../../db/schema';
import { isUnstorable } from '../../../../../db/storable-text';
import { ipAllowlistSchema } from '../../../../../lib/cidr';

export const ZEndpointName = z
  .string()
  .trim()
  .min(1, 'name is required')
  .max(200)
  // PostgreSQL text can't hold these: a 400 here, not a 500 from the database.
  .refine((s) => !isUnstorable(s), 'must not contain NUL or unpaired surrogates');

export const ZRateLimitPerSecond = z.number().int().min(1).max(100_000);
export const ZRateLimitBurst = z.number().int().min(1).max(1_000_000);

export const ZCreateEndpointInput = z.object({
  name: ZEndpointName,
  /** Sustained requests per second (token refill rate); the contract's default is 100. */
  rateLimitPerSecond: ZRateLimitPerSecond.optional(),
  /** Bucket capacity: how many requests may arrive at once before queueing starts. */
  rateLimitBurst: ZRateLimitBurst.optional(),
  authMode: z.enum(authModeEnum.enumValues),
  ipAllowlist: ipAllowlistSchema.optional(),
});
export type CreateEndpointInput = z.infer<typeof ZCreateEndpointInput>;

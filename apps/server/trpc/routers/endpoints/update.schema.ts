import { z } from 'zod';
import { ipAllowlistSchema } from '../../../../../lib/cidr';
import { ZEndpointName, ZRateLimitBurst, ZRateLimitPerSecond } from './create.schema';

export const ZUpdateEndpointInput = z
  .object({
    id: z.uuid(),
    name: ZEndpointName.optional(),
    ipAllowlist: ipAllowlistSchema.optional(),
    enabled: z.boolean().optional(),
    rateLimitPerSecond: ZRateLimitPerSecond.optional(),
    rateLimitBurst: ZRateLimitBurst.optional(),
  })
  .refine(({ id: _id, ...changes }) => Object.values(changes).some((v) => v !== undefined), {
    message: 'nothing to update: give name, ipAllowlist, enabled, rateLimitPerSecond or rateLimitBurst',
  });
export type UpdateEndpointInput = z.infer<typeof ZUpdateEndpointInput>;

import { z } from 'zod';
import { ipAllowlistSchema } from '../../../../../lib/cidr';
import { customHmacSchema, mappingSchema } from '../../../../../lib/sources/config';
import { ZEndpointName, ZRateLimitBurst, ZRateLimitPerSecond } from './create.schema';

export const ZUpdateEndpointInput = z
  .object({
    id: z.uuid(),
    name: ZEndpointName.optional(),
    ipAllowlist: ipAllowlistSchema.optional(),
    enabled: z.boolean().optional(),
    rateLimitPerSecond: ZRateLimitPerSecond.optional(),
    rateLimitBurst: ZRateLimitBurst.optional(),
    /** Source presets: replace the custom-hmac settings, or the mapping (null removes it). */
    customHmac: customHmacSchema.optional(),
    mapping: mappingSchema.nullable().optional(),
  })
  .refine(({ id: _id, ...changes }) => Object.values(changes).some((v) => v !== undefined), {
    message:
      'nothing to update: give name, ipAllowlist, enabled, rateLimitPerSecond, rateLimitBurst, customHmac or mapping',
  });
export type UpdateEndpointInput = z.infer<typeof ZUpdateEndpointInput>;

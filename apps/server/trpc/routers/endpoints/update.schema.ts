import { z } from 'zod';
import { ipAllowlistSchema } from '../../../../../lib/cidr';
import { ZEndpointName } from './create.schema';

export const ZUpdateEndpointInput = z
  .object({
    id: z.uuid(),
    name: ZEndpointName.optional(),
    ipAllowlist: ipAllowlistSchema.optional(),
    enabled: z.boolean().optional(),
  })
  .refine((i) => i.name !== undefined || i.ipAllowlist !== undefined || i.enabled !== undefined, {
    message: 'nothing to update: give name, ipAllowlist or enabled',
  });
export type UpdateEndpointInput = z.infer<typeof ZUpdateEndpointInput>;

import { z } from 'zod';
import { authModeEnum } from '../../../../../db/schema';
import { ipAllowlistSchema } from '../../../../../lib/cidr';

export const ZEndpointName = z.string().trim().min(1, 'name is required').max(200);

export const ZCreateEndpointInput = z.object({
  name: ZEndpointName,
  authMode: z.enum(authModeEnum.enumValues),
  ipAllowlist: ipAllowlistSchema.optional(),
});
export type CreateEndpointInput = z.infer<typeof ZCreateEndpointInput>;

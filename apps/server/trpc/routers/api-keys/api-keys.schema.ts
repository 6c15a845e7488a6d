import { z } from 'zod';
import { ZRole } from '../../../../../lib/roles';

export const ZCreateApiKeyInput = z.object({
  name: z.string().trim().min(1).max(200),
  role: ZRole,
  // RFC 3339; must lie in the future (checked by the handler against the server's clock).
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});
export type CreateApiKeyInput = z.infer<typeof ZCreateApiKeyInput>;

export const ZApiKeyIdInput = z.object({ id: z.uuid() });
export type ApiKeyIdInput = z.infer<typeof ZApiKeyIdInput>;

import { z } from 'zod';
import { ZGivenSecret } from './create.schema';

export const ZRotateSecretInput = z.object({
  id: z.uuid(),
  /** The tool's new secret, for sources whose tool issues it; otherwise we generate one. */
  secret: ZGivenSecret.optional(),
});
export type RotateSecretInput = z.infer<typeof ZRotateSecretInput>;

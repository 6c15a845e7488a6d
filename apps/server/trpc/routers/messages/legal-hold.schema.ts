import { z } from 'zod';

export const ZSetLegalHoldInput = z.object({ id: z.uuid(), on: z.boolean() });
export type SetLegalHoldInput = z.infer<typeof ZSetLegalHoldInput>;

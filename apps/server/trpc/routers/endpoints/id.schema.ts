import { z } from 'zod';

export const ZEndpointIdInput = z.object({ id: z.uuid() });
export type EndpointIdInput = z.infer<typeof ZEndpointIdInput>;

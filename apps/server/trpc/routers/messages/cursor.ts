// Keyset pagination over (received_at desc, id desc): stable under concurrent inserts.
import { TRPCError } from '@trpc/server';
import { z } from 'zod';

const ZCursor = z.object({ t: z.iso.datetime(), id: z.uuid() });
export type Cursor = z.infer<typeof ZCursor>;

export function encodeCursor(c: { receivedAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify({ t: c.receivedAt.toISOString(), id: c.id })).toString('base64url');
}

export function decodeCursor(s: string): Cursor {
  try {
    return ZCursor.parse(JSON.parse(Buffer.from(s, 'base64url').toString('utf8')));
  } catch {
    throw new TRPCError({ code: 'BAD_REQUEST', message: 'invalid cursor' });
  }
}

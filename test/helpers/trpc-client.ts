import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import type { AppRouter } from '../../apps/server/trpc/root';

/** The typed admin client, as the CLI and UI use it, authenticated with an admin key. */
export function adminClient(baseUrl: string, adminKey: string | null) {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${baseUrl}/trpc`,
        headers: () => (adminKey ? { authorization: `Bearer ${adminKey}` } : {}),
      }),
    ],
  });
}

/** The typed error of a call that must fail; throws if it succeeds or fails some other way. */
export async function trpcError(call: Promise<unknown>): Promise<TRPCClientError<AppRouter>> {
  try {
    await call;
  } catch (err) {
    if (err instanceof TRPCClientError) return err as TRPCClientError<AppRouter>;
    throw err;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

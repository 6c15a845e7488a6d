import { createTRPCClient, httpLink } from '@trpc/client';
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

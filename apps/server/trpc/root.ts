import { endpointsRouter } from './routers/endpoints/_router';
import { ledgerRouter } from './routers/ledger/_router';
import { messagesRouter } from './routers/messages/_router';
import { router } from './trpc';

export const appRouter = router({
  endpoints: endpointsRouter,
  messages: messagesRouter,
  ledger: ledgerRouter,
});

export type AppRouter = typeof appRouter;

import { endpointsRouter } from './routers/endpoints/_router';
import { messagesRouter } from './routers/messages/_router';
import { requestsRouter } from './routers/requests/_router';
import { router } from './trpc';

export const appRouter = router({
  endpoints: endpointsRouter,
  messages: messagesRouter,
  requests: requestsRouter,
});

export type AppRouter = typeof appRouter;

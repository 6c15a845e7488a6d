import { endpointsRouter } from './routers/endpoints/_router';
import { messagesRouter } from './routers/messages/_router';
import { router } from './trpc';

export const appRouter = router({
  endpoints: endpointsRouter,
  messages: messagesRouter,
});

export type AppRouter = typeof appRouter;

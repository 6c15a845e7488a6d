import { apiKeysRouter } from './routers/api-keys/_router';
import { auditRouter } from './routers/audit/_router';
import { authRouter } from './routers/auth/_router';
import { endpointsRouter } from './routers/endpoints/_router';
import { exportsRouter } from './routers/exports/_router';
import { ledgerRouter } from './routers/ledger/_router';
import { messagesRouter } from './routers/messages/_router';
import { requestsRouter } from './routers/requests/_router';
import { router } from './trpc';

export const appRouter = router({
  apiKeys: apiKeysRouter,
  audit: auditRouter,
  auth: authRouter,
  endpoints: endpointsRouter,
  exports: exportsRouter,
  messages: messagesRouter,
  requests: requestsRouter,
  ledger: ledgerRouter,
});

export type AppRouter = typeof appRouter;

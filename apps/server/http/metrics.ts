// GET /metrics (Prometheus text format). On the main port it needs `Authorization: Bearer`
// with an admin-role API key (any tenant's: the metrics carry no tenant data) or METRICS_TOKEN; with
// METRICS_PORT set, a separate listener serves it unauthenticated (for a private scrape network).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { constantTimeEqual } from '../../../lib/crypto';
import { renderMetrics } from '../../../lib/metrics';
import { resolveApiKey } from '../auth/principal';
import { clusterMetrics } from '../cluster';
import type { ServerDeps } from '../deps';
import { HttpError, sendError } from './respond';

type Render = () => Promise<{ contentType: string; body: string }>;

// In a cluster process (SERVER_PROCESSES > 1) the primary answers for the whole group.
const renderOwnOrCluster: Render = () => clusterMetrics() ?? renderMetrics();

async function sendMetrics(res: ServerResponse, render: Render = renderOwnOrCluster): Promise<void> {
  const { contentType, body } = await render();
  res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}

export function createMetricsHandler(deps: Pick<ServerDeps, 'db' | 'config'>) {
  const token = deps.config.METRICS_TOKEN;
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return sendError(res, new HttpError('method_not_allowed', 'use GET', { allow: 'GET' }));
    const header = req.headers.authorization;
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
    const ok =
      bearer !== undefined &&
      ((token !== undefined && constantTimeEqual(bearer, token)) ||
        (await resolveApiKey(deps.db, header))?.role === 'admin');
    if (!ok)
      return sendError(
        res,
        new HttpError('unauthorized', 'missing or invalid admin key or metrics token', {
          'www-authenticate': 'Bearer realm="metrics"',
        }),
      );
    await sendMetrics(res);
  };
}

/** The unauthenticated listener for METRICS_PORT: /metrics only. */
export function createMetricsServer(render?: Render): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split(/[?#]/, 1)[0];
    if (path !== '/metrics') return sendError(res, new HttpError('not_found', 'only /metrics here'));
    sendMetrics(res, render).catch(() => sendError(res, new HttpError('internal_error', 'internal error')));
  });
}

// GET /.well-known/webhook-archive/keys: the public keys receipts and checkpoints verify with.
// No authentication: outsiders (producers, auditors) are exactly who needs them.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EvidenceDeps } from '../../../ledger/deps';
import { HttpError, sendError, sendJson } from '../http/respond';

export const KEYS_PATH = '/.well-known/webhook-archive/keys';

export function createKeysHandler(evidence: EvidenceDeps) {
  return (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return sendError(res, new HttpError('method_not_allowed', 'use GET', { allow: 'GET, HEAD' }));
    res.setHeader('cache-control', 'public, max-age=300');
    res.setHeader('access-control-allow-origin', '*');
    return sendJson(res, 200, { keys: evidence.keyring.published });
  };
}

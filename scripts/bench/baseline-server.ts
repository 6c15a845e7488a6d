// The ceiling for the ingest benchmark: a bare Node HTTP server that only reads the body and
// verifies the HMAC, then answers 200. Everything our server does beyond this is our cost.
import { createServer } from 'node:http';
import { verifyHmacSignature } from '../../lib/crypto';

const secret = process.env.BASELINE_SECRET ?? '';
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const ok = verifyHmacSignature(
      secret,
      Buffer.concat(chunks),
      String(req.headers['x-comma-signature'] ?? ''),
    );
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
    res.end(ok ? '{"status":"accepted"}' : '{"error":{"code":"unauthorized"}}');
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('ready\n'));

// The embedded database's own process: PGlite on DATA_DIR/pglite, served over a Unix socket
// (session-server.ts) to the all-in-one process that forked it (database.ts). It has a core of
// its own, so the HTTP server, relay and worker no longer share an event loop with the database.
// It stops when told to (after the parent closed its connections) or when the parent goes away:
// it never outlives the process whose Ctrl-C it belongs to.
import { rmSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PgliteSessionServer } from './session-server';

const dir = process.env.PGLITE_DIR;
const socketPath = process.env.PGLITE_SOCKET;
if (!dir || !socketPath || !process.send) {
  console.error('db/embedded/process: forked by db/embedded/database.ts (PGLITE_DIR, PGLITE_SOCKET, IPC)');
  process.exit(2);
}

// Ctrl-C reaches the whole process group: the parent decides when the database stops (last).
process.on('SIGINT', () => {});

const pglite = await PGlite.create(dir);
const server = new PgliteSessionServer(pglite, {
  onFatal: (err) => {
    console.error('embedded database: PGlite failed; exiting for a restart', err);
    process.exit(70);
  },
});
// A socket file left by a killed predecessor refuses the bind; PGlite's own files are ours now.
rmSync(socketPath, { force: true });
await server.listen(socketPath);

let stopping: Promise<void> | undefined;
const stop = () => {
  stopping ??= (async () => {
    await server.close();
    await pglite.close(); // a clean shutdown: no recovery at the next start
    rmSync(socketPath, { force: true });
    process.exit(0);
  })();
  return stopping;
};
process.on('message', (m) => {
  if (m === 'stop') void stop();
});
process.on('disconnect', () => void stop());
process.on('SIGTERM', () => void stop());
process.send('ready');

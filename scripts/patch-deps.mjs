#!/usr/bin/env node
// Patches to installed dependencies, applied after every npm install (package.json postinstall).
// Each one is idempotent, checks the exact version it was written for and fails loudly when that
// changes (then drop it if upstream fixed the bug, or port it).
//
// postgres@3.4.9 (porsager/postgres#1154, #1208; fix as in PR #1209): a small write is deferred
// with setImmediate; if the connection closes first, closed() nulls the socket but leaves the
// timer armed-looking and the buffered bytes in place, so nextWrite() dereferences a null socket
// from a timer callback — an uncaughtException that kills the process. The fault matrix
// (test/fault-matrix.test.ts) hit it: SIGKILL of PostgreSQL took the worker down with it. The guard
// rejects the connection's queries with CONNECTION_CLOSED (our retries handle that) instead, and
// teardown disarms the timer and drops the bytes meant for the dead socket.
//
// postgres@3.4.9, second patch: a new connection's first ReadyForQuery starts fetchArrayTypes()
// and drops its promise. If the connection dies during that query (the embedded PGlite process
// killed, test/embedded.test.ts, or PostgreSQL killed as a connection opens) the rejection is
// unhandled and Node ends the process with a bare `read ECONNRESET`. The connection's own error
// path already rejects its queries (and reconnects); the patch only catches the dropped promise.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MARK = '/* webhook-archive: patched (scripts/patch-deps.mjs) */';

function patchPostgres() {
  const dir = path.join(root, 'node_modules/postgres');
  const { version } = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  if (version !== '3.4.9') {
    throw new Error(
      `scripts/patch-deps.mjs: postgres is ${version}, the patch is for 3.4.9; check upstream #1208`,
    );
  }
  for (const file of ['src/connection.js', 'cjs/src/connection.js', 'cf/src/connection.js']) {
    const p = path.join(dir, file);
    let s = readFileSync(p, 'utf8');
    const before = s;
    // Each patch once: a checkout patched by an earlier version of this script gets the new ones.
    const replace = (from, to, times) => {
      if (s.includes(to)) return;
      const n = s.split(from).length - 1;
      if (n !== times)
        throw new Error(
          `scripts/patch-deps.mjs: ${file}: expected ${times}× ${JSON.stringify(from)}, found ${n}`,
        );
      s = s.split(from).join(to);
    };
    replace(
      '  function nextWrite(fn) {\n',
      `  function nextWrite(fn) {\n    ${MARK}\n    if (!socket) {\n      chunk = nextWriteTimer = null\n      error(Errors.connection('CONNECTION_CLOSED', options))\n      return false\n    }\n`,
      1,
    );
    replace(
      '        return fetchArrayTypes()\n',
      '        return fetchArrayTypes().catch(() => {}) // the connection reports its own death\n',
      1,
    );
    replace(
      '    clearImmediate(nextWriteTimer)\n',
      '    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null\n',
      2,
    );
    if (s !== before) writeFileSync(p, s);
  }
}

patchPostgres();

// Compiles the server, worker and embedded entry points to JavaScript (esbuild) in dist/app/,
// so production runs plain `node dist/app/server.js` instead of transpiling TypeScript at every
// start with tsx. npm packages stay external (loaded from node_modules as usual); code splitting
// keeps what the sources load lazily lazy (the OTel SDK, the AWS SDK: separate chunks).
// --if-stale: only when a source is newer than the last build. Type checking is tsc's job
// (scripts/test), not this build's.
import { readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
export const APP_DIR = path.join(root, 'dist/app');
const STAMP = path.join(APP_DIR, '.built');
/** What the entries import (the UI's browser sources and its build are not among them). */
const SOURCES = ['apps', 'lib', 'db', 'activities', 'workflows', 'ledger', 'evidence', 'worm'];
const SKIP = new Set([path.join(root, 'apps/web/src'), path.join(root, 'apps/web/dist')]);

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP.has(p)) newest = Math.max(newest, newestSource(p));
    } else if (/\.(ts|json)$/.test(entry.name)) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function isStale(): boolean {
  let built: number;
  try {
    built = statSync(STAMP).mtimeMs;
  } catch {
    return true;
  }
  const newest = Math.max(
    ...SOURCES.map((d) => newestSource(path.join(root, d))),
    statSync(path.join(root, 'package-lock.json')).mtimeMs,
  );
  return newest > built;
}

/** Builds into `outDir` (default dist/app; tests build their own copy). */
export async function buildApp(outDir = APP_DIR): Promise<void> {
  rmSync(outDir, { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    entryPoints: {
      server: 'apps/server/main.ts',
      worker: 'apps/worker/main.ts',
      main: 'apps/main.ts',
      // The embedded PGlite process main.js forks (db/embedded/database.ts finds it beside main.js).
      database: 'db/embedded/process.ts',
    },
    outdir: outDir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    chunkNames: 'chunks/[name]-[hash]',
    logLevel: 'warning',
  });
  writeFileSync(path.join(outDir, '.built'), `${new Date().toISOString()}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  if (!process.argv.includes('--if-stale') || isStale()) {
    const t0 = performance.now();
    await buildApp();
    console.error(
      `[build-app] built ${path.relative(root, APP_DIR)} in ${Math.round(performance.now() - t0)} ms`,
    );
  }
}

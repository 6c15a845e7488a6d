// The repository's root directory, for files read at run time (migrations, the built UI, the
// workflow bundle, scripts/install-tools). Found by walking up to package.json rather than by a
// fixed number of `..`, so it holds both in the sources (tsx) and in the compiled bundle
// (dist/app/, scripts/build-app.ts), whose modules sit at other depths.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const repoRoot = findRoot(path.dirname(fileURLToPath(import.meta.url)));

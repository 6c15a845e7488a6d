// Prebuilds the workflow bundle (samples-typescript `production`): workers then start in
// milliseconds and never load webpack, which keeps their memory small. With tracing configured
// (OTEL_EXPORTER_OTLP_ENDPOINT, see lib/tracing) or --traced, also the traced bundle, which has
// the tracing workflow interceptors (lib/tracing/workflow-interceptors.ts) in it.
// --if-stale: only when a source the bundle is built from is newer than the bundle.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { buildWorkflowBundle, defaultBundlePath, defaultTracedBundlePath } from '../apps/worker/worker';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function isStale(bundle: string): boolean {
  let built: number;
  try {
    built = statSync(bundle).mtimeMs;
  } catch {
    return true;
  }
  // The bundle is built from workflows/ and what they import from lib/.
  return Math.max(newestSource(path.join(root, 'workflows')), newestSource(path.join(root, 'lib'))) > built;
}

const traced =
  process.argv.includes('--traced') ||
  Boolean(process.env.OTEL_EXPORTER_OTLP_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
const bundles = [
  { file: defaultBundlePath, traced: false },
  ...(traced ? [{ file: defaultTracedBundlePath, traced: true }] : []),
];
for (const b of bundles) {
  if (process.argv.includes('--if-stale') && !isStale(b.file)) continue;
  const t0 = performance.now();
  await buildWorkflowBundle(b.file, { traced: b.traced });
  console.error(
    `[build-workflows] built ${path.relative(root, b.file)} in ${Math.round(performance.now() - t0)} ms`,
  );
}

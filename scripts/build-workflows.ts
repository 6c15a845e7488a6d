// Prebuilds the workflow bundle (samples-typescript `production`): workers then start in
// milliseconds and never load webpack, which keeps their memory small.
import { buildWorkflowBundle, defaultBundlePath } from '../apps/worker/worker';

const t0 = performance.now();
await buildWorkflowBundle(defaultBundlePath);
console.error(`[build-workflows] ${defaultBundlePath} (${Math.round(performance.now() - t0)} ms)`);

// Admin UI build: `npm run build:web` writes apps/web/dist, which the server serves at `/`.
// `npx vite --config apps/web/vite.config.ts` runs a dev server that proxies the API to
// the running server (API_ORIGIN, default http://127.0.0.1:8080).
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type UserConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const apiOrigin = process.env.API_ORIGIN ?? 'http://127.0.0.1:8080';

const config = {
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    // Keep every asset a file: the server's CSP allows no inline scripts or styles.
    assetsInlineLimit: 0,
  },
  server: {
    proxy: {
      '/trpc': apiOrigin,
      '/api': apiOrigin,
      '/webhooks': apiOrigin,
      '/auth': apiOrigin,
    },
  },
} satisfies UserConfig;

export default defineConfig(({ command, mode }) => {
  // A production build even when the environment says NODE_ENV=test (a build started from
  // vitest): otherwise React's development runtime and JSX with source paths get bundled.
  if (command === 'build' && mode === 'production') process.env.NODE_ENV = 'production';
  return config;
});

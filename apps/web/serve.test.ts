// The UI's static file serving on its own: the "not built" page, and no way out of dist.
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebUiHandler, safeRelativePath } from './serve';

let server: Server;
let base = '';
let dist = '';

beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'web-serve-'));
  dist = path.join(dir, 'dist');
  writeFileSync(path.join(dir, 'secret.txt'), 'outside');
  const serve = createWebUiHandler({ distDir: dist });
  server = createServer((req, res) => {
    serve(req, res).then((handled) => {
      if (!handled) {
        res.writeHead(404);
        res.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('serving apps/web/dist', () => {
  it('answers "UI not built" while there is no build', async () => {
    for (const p of ['/', '/endpoints']) {
      const res = await fetch(`${base}${p}`);
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await res.text()).toContain('UI not built: run npm run build:web');
    }
  });

  it('serves the build once it exists, and never a file outside it', async () => {
    mkdirSync(path.join(dist, 'assets'), { recursive: true });
    writeFileSync(path.join(dist, 'index.html'), '<!doctype html><div id="root"></div>');
    writeFileSync(path.join(dist, 'assets', 'app-1234.js'), 'console.log(1)');
    symlinkSync(path.join(dist, '..', 'secret.txt'), path.join(dist, 'assets', 'link.txt'));

    const page = await fetch(`${base}/messages/123`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('id="root"');
    const js = await fetch(`${base}/assets/app-1234.js`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toContain('immutable');
    // A symlink that leads out of dist is not followed.
    const link = await fetch(`${base}/assets/link.txt`);
    expect(link.status).toBe(404);
    expect(await link.text()).not.toContain('outside');
    expect((await fetch(`${base}/index.html`, { method: 'POST' })).status).toBe(404);
  });

  it('turns URL paths into relative paths inside dist, or refuses them', () => {
    expect(safeRelativePath('/')).toBe('');
    expect(safeRelativePath('/assets/a.js')).toBe('assets/a.js');
    expect(safeRelativePath('//assets//a.js')).toBe('assets/a.js');
    for (const bad of [
      '/../x',
      '/a/../../x',
      '/%2e%2e/x',
      '/a%2f..%2f..%2fx',
      '/a\\b',
      '/%00',
      '/.env',
      '/%E0%A4%A',
      'x',
    ]) {
      expect(safeRelativePath(bad), bad).toBeNull();
    }
  });
});

// Headless Chromium (Debian's package, found by scripts/install-tools) for the browser tests, with
// the flags that keep it off this machine's closed network (background fetches, component updates,
// QUIC), launched the same way by every test.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function chromiumPath(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  return execFileSync(path.join(ROOT, 'scripts/install-tools'), ['--print', 'chromium'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
}

/** Signs in on the sign-in page with an admin key and waits for the page it lands on. */
export async function signIn(page: Page, adminKey: string): Promise<void> {
  await page.goto('/');
  await page.getByLabel('API key', { exact: true }).fill(adminKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Inbound endpoints', level: 1 }).waitFor();
}

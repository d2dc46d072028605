import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Browser, chromium } from 'playwright-core';

/**
 * Debian's Chromium (scripts/chromium.sh installs it), headless, with nothing that reaches the
 * network on its own (the machine's closed network refuses those connections). Playwright gives
 * it a fresh temporary profile.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Where tests leave screenshots for people to look at (git-ignored). */
export function artifactPath(name: string): string {
  const dir = path.resolve(__dirname, '../../.cache/test-artifacts');
  mkdirSync(dir, { recursive: true });
  return path.join(dir, name);
}

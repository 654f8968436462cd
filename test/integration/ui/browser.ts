// Debian's chromium driven by playwright-core (no browser download): headless, sandbox off (tests
// run as root in containers), a fresh profile per launch that close() removes.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

const ci = process.env.CI === 'true' || process.env.CI === '1';

/** false (skip) on a laptop without chromium; in CI a missing browser fails the suite */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (ci) throw new Error(`${CHROMIUM} is missing: scripts/setup.sh installs Debian's chromium (CI=true)`);
  return false;
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launch(colorScheme: 'light' | 'dark' = 'light'): Promise<Browser> {
  const profile = mkdtempSync(path.join(tmpdir(), 'kloop-ui-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      colorScheme,
      viewport: { width: 1280, height: 900 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    return {
      context,
      async close() {
        await context.close().catch(() => {});
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
}

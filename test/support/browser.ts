/**
 * Debian's Chromium driven by playwright-core, for the browser tests (/docs, /console): a fresh
 * profile per suite, launched with the flags this machine's closed network needs, and a record
 * of every request the page makes and every script or CSP error it meets.
 */
import fs from 'node:fs';
import type { Context } from 'mocha';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { tempDir } from './bridge';

export const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Skips the suite, saying so, where Chromium is not installed; under CI (.ci/run installs it) that fails instead. */
export function requireChromium(ctx: Context): void {
  if (fs.existsSync(CHROMIUM)) return;
  if (process.env.CI) throw new Error(`${CHROMIUM} is not installed; .ci/run installs it (apt-get install chromium)`);
  process.stdout.write(`      skipped: ${CHROMIUM} is not installed (apt-get install chromium)\n`);
  ctx.skip();
}

export interface OpenBrowser {
  context: BrowserContext;
  page: Page;
  /** Every URL the page requested. */
  requested: string[];
  /** Page errors and console errors (a resource blocked by CSP shows here). */
  problems: string[];
  close(): Promise<void>;
}

export async function openBrowser(viewport?: { width: number; height: number }): Promise<OpenBrowser> {
  // A fresh profile per run (playwright passes it as --user-data-dir).
  const profile = tempDir('chromium');
  try {
    const context = await chromium.launchPersistentContext(profile.dir, { executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 30000, ...(viewport ? { viewport } : {}) });
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(30000);
    const requested: string[] = [];
    const problems: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    return {
      context,
      page,
      requested,
      problems,
      close: async () => {
        try {
          await context.close();
        } finally {
          profile.remove();
        }
      },
    };
  } catch (e) {
    profile.remove();
    throw e;
  }
}

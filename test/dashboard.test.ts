// The dashboard in a real browser: headless Chromium (Debian's, driven by playwright-core) against the
// scheduler app and a sample worker started as real processes. Without credentials (or with wrong
// ones) /admin/queues answers 401 and shows nothing; with basic auth Bull Board lists every queue of
// the catalogue, and the test saves a full-page screenshot to test-results/dashboard.png (the CI
// artifact).
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page, type Response } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, test } from 'vitest';
import { catalogue } from '@syncfleet/jobs';
import { createFleetQueue, enqueueJob } from '@syncfleet/runtime';
import { chromiumLaunchOptions, ensureChromium } from './infra/chromium.ts';
import { deletePrefixKeys, randomSuffix, testPrefix, useRedis, useTestDatabase, waitUntil, workerEnv } from './support/fixtures.ts';
import { assertNoLeftoverProcesses, repoRoot, startAppProcess, stopAppProcess, type AppProcess } from './support/processes.ts';

const schedulerEntry = 'apps/scheduler/src/main.ts';
const workerEntry = 'apps/sample-worker/src/main.ts';
const screenshotPath = join(repoRoot, 'test-results', 'dashboard.png');
const queueNames = Object.keys(catalogue.queues);

const credentials = { username: 'operator', password: `pw-${randomSuffix()}${randomSuffix()}` };
const apiToken = `tok-${randomSuffix()}${randomSuffix()}`;

const db = useTestDatabase();
const redis = useRedis();
let browser: Browser;
beforeAll(async () => {
  // a fresh machine has no Chromium: the first run installs Debian's (about half a minute)
  const executablePath = await ensureChromium((msg) => process.stderr.write(`[chromium] ${msg}\n`));
  browser = await chromium.launch(chromiumLaunchOptions(executablePath));
}, 600_000);
afterEach(() => assertNoLeftoverProcesses());
afterAll(async () => {
  await browser?.close();
});

interface Scheduler {
  app: AppProcess;
  /** http://127.0.0.1:PORT */
  baseUrl: string;
}

async function startScheduler(prefix: string): Promise<Scheduler> {
  const app = startAppProcess(
    schedulerEntry,
    workerEnv(db.url, prefix, {
      API_PORT: '0',
      API_HOST: '127.0.0.1',
      API_TOKEN: apiToken,
      DASHBOARD_USER: credentials.username,
      DASHBOARD_PASSWORD: credentials.password,
    }),
  );
  // API_PORT=0: the app picks a free port and logs it in its start-up line
  const started = await app.waitForLog((l) => l.msg === 'scheduler app started' && typeof l.port === 'number', 30_000);
  const baseUrl = `http://127.0.0.1:${started.port as number}`;
  await waitUntil('the scheduler to answer /healthz', async () => (await fetch(`${baseUrl}/healthz`)).ok, 20_000, 100);
  return { app, baseUrl };
}

/**
 * Navigates without credentials to a URL that answers 401 and returns that response. Chromium cannot
 * show its login prompt headless, so it gives up on the challenge: the navigation fails
 * (net::ERR_INVALID_AUTH_CREDENTIALS) after the 401 has arrived, and the tab shows Chromium's error
 * page. The response is taken from the network events.
 */
async function navigateWithoutCredentials(page: Page, url: string): Promise<{ response: Response; navigationError: string | undefined }> {
  const [response, navigationError] = await Promise.all([
    page.waitForResponse((r) => r.url() === url, { timeout: 15_000 }),
    page.goto(url).then(
      () => undefined,
      (error: Error) => error.message,
    ),
  ]);
  await page.waitForURL(/^chrome-error:/, { waitUntil: 'load', timeout: 10_000 }).catch(() => undefined);
  return { response, navigationError };
}

async function expectNoDashboard(page: Page): Promise<void> {
  expect(await page.locator('#bull-board-sidebar').count()).toBe(0);
  for (const name of queueNames) expect(await page.getByRole('link', { name, exact: true }).count()).toBe(0);
}

const protectedPaths = ['/admin/queues', '/admin/queues/api/queues'];

describe('the Bull Board dashboard in headless Chromium', () => {
  test('without credentials, or with wrong ones, /admin/queues answers 401 with a basic-auth challenge and shows no dashboard', async () => {
    const prefix = testPrefix();
    const scheduler = await startScheduler(prefix);
    const contexts: BrowserContext[] = [];
    try {
      const anonymous = await browser.newContext();
      contexts.push(anonymous);
      for (const path of protectedPaths) {
        const page = await anonymous.newPage();
        const url = `${scheduler.baseUrl}${path}`;
        const { response, navigationError } = await navigateWithoutCredentials(page, url);
        expect(response.status(), url).toBe(401);
        expect(response.headers()['www-authenticate']).toBe('Basic realm="syncfleet"');
        expect(navigationError).toMatch(/ERR_INVALID_AUTH_CREDENTIALS/);
        expect(page.url()).toMatch(/^chrome-error:/);
        await expectNoDashboard(page);
        await page.close();
      }

      // with wrong credentials Chromium answers the challenge, gets 401 again and shows that answer
      const wrong = await browser.newContext({ httpCredentials: { username: credentials.username, password: 'not-the-password' } });
      contexts.push(wrong);
      for (const path of protectedPaths) {
        const page = await wrong.newPage();
        const url = `${scheduler.baseUrl}${path}`;
        const response = await page.goto(url);
        expect(response?.status(), url).toBe(401);
        expect(response?.headers()['www-authenticate']).toBe('Basic realm="syncfleet"');
        expect(await page.locator('body').innerText()).toContain('unauthorized');
        await expectNoDashboard(page);
        await page.close();
      }
      expect((await stopAppProcess(scheduler.app)).code).toBe(0);
      expect(scheduler.app.lines().filter((l) => l.msg === 'request refused').length).toBeGreaterThanOrEqual(2 * protectedPaths.length);
    } finally {
      for (const context of contexts) await context.close();
      await stopAppProcess(scheduler.app, 'SIGKILL');
      await deletePrefixKeys(inject('redisUrl'), prefix);
    }
  });

  test('logged in with basic auth, Bull Board lists every queue of the catalogue; a screenshot is saved', async () => {
    const prefix = testPrefix();
    const worker = startAppProcess(workerEntry, workerEnv(db.url, prefix));
    const queue = createFleetQueue(redis, prefix, catalogue.jobs['sample.echo'].queue);
    let scheduler: Scheduler | undefined;
    let context: BrowserContext | undefined;
    try {
      await worker.waitForLog((l) => l.msg === 'worker app started');
      scheduler = await startScheduler(prefix);
      // something to see: one sample.echo run, carried out by the worker
      const job = await enqueueJob(queue, catalogue.jobs['sample.echo'], { sleepMs: 10, records: 3, note: 'dashboard test' });
      await waitUntil('sample.echo to complete', async () => (await (await queue.getJob(job.id!))?.getState()) === 'completed', 20_000);

      context = await browser.newContext({ httpCredentials: credentials, viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      const failed: string[] = [];
      page.on('response', (r) => {
        if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
      });
      const response = await page.goto(`${scheduler.baseUrl}/admin/queues`);
      expect(response?.status()).toBe(200);

      // Bull Board 9 renders each queue as a link to /admin/queues/queue/<name>: in the sidebar
      // (#bull-board-sidebar) and as a card in the overview (main); the card's job count appears
      // once its counts have loaded
      const sidebar = page.locator('#bull-board-sidebar nav');
      const overview = page.locator('main');
      for (const name of queueNames) {
        await sidebar.getByRole('link', { name, exact: true }).waitFor({ state: 'visible', timeout: 20_000 });
        await overview.getByRole('link', { name, exact: true }).waitFor({ state: 'visible', timeout: 20_000 });
        expect(await sidebar.getByRole('link', { name, exact: true }).getAttribute('href')).toBe(`/admin/queues/queue/${encodeURIComponent(name)}`);
      }
      // exactly the catalogue's queues: none missing, none from elsewhere
      const links = await sidebar.locator('a[href*="/admin/queues/queue/"]').all();
      const listed = await Promise.all(links.map((link) => link.textContent()));
      expect(listed.sort()).toEqual([...queueNames].sort());
      const sampleCard = overview.locator('li', { has: page.getByRole('link', { name: queue.name, exact: true }) });
      await sampleCard.getByText(/^\d+ Jobs?$/).waitFor({ state: 'visible', timeout: 20_000 });
      // the worker process consumes the queue: Bull Board shows a "No workers" badge only without one
      expect(await sampleCard.getByText('No workers').count()).toBe(0);
      expect(failed).toEqual([]);

      mkdirSync(join(repoRoot, 'test-results'), { recursive: true });
      rmSync(screenshotPath, { force: true });
      await page.screenshot({ path: screenshotPath, fullPage: true });
      expect(statSync(screenshotPath).size).toBeGreaterThan(10_000);
      expect(readFileSync(screenshotPath).subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));

      // the API token is accepted as the Basic-auth password too
      const withToken = await browser.newContext({ httpCredentials: { username: 'token', password: apiToken } });
      try {
        const tokenPage = await withToken.newPage();
        expect((await tokenPage.goto(`${scheduler.baseUrl}/admin/queues`))?.status()).toBe(200);
        await tokenPage.locator('#bull-board-sidebar nav').getByRole('link', { name: queueNames[0], exact: true }).waitFor({ state: 'visible', timeout: 20_000 });
      } finally {
        await withToken.close();
      }

      expect((await stopAppProcess(scheduler.app)).code).toBe(0);
      expect((await stopAppProcess(worker)).code).toBe(0);
    } finally {
      await context?.close();
      if (scheduler) await stopAppProcess(scheduler.app, 'SIGKILL');
      await stopAppProcess(worker, 'SIGKILL');
      await queue.close();
      await deletePrefixKeys(inject('redisUrl'), prefix);
    }
  });
});

// Ensures Debian's Chromium for browser tests (playwright-core drives it; Playwright's own browser
// download is not reachable here). Installs it with apt when missing, under a lock file so that two
// test files asking at once install it once. Also the launch options these machines need.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aptInstall } from './process.ts';

export const chromiumPath = '/usr/bin/chromium';

const lockFile = join(tmpdir(), 'syncfleet-chromium-install.lock');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether another live process is installing (a lock left by a dead process is removed). */
function installInProgress(): boolean {
  try {
    const pid = Number(readFileSync(lockFile, 'utf8'));
    // an empty file: its holder is between creating and writing it (or died there)
    if (pid ? alive(pid) : Date.now() - statSync(lockFile).mtimeMs < 10_000) return true;
  } catch {
    return false; // no lock (or it was just released)
  }
  rmSync(lockFile, { force: true });
  return false;
}

function tryLock(): boolean {
  try {
    writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/**
 * Returns the path of Debian's Chromium, installing it (apt-get, as root) when missing. Idempotent;
 * while another process installs it (dpkg puts the binary in place before the install is complete),
 * waits for that install to finish.
 */
export async function ensureChromium(log: (msg: string) => void = () => undefined): Promise<string> {
  const deadline = Date.now() + 15 * 60_000;
  let waiting = false;
  for (;;) {
    if (!installInProgress()) {
      if (existsSync(chromiumPath)) return chromiumPath;
      if (tryLock()) break;
    }
    if (!waiting) log('waiting for another process to install chromium');
    waiting = true;
    if (Date.now() > deadline) throw new Error(`timed out waiting for another process to install chromium (lock ${lockFile})`);
    await new Promise((r) => setTimeout(r, 500));
  }
  try {
    if (!existsSync(chromiumPath)) {
      const started = Date.now();
      aptInstall(['chromium'], log);
      log(`chromium installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  } finally {
    rmSync(lockFile, { force: true });
  }
  if (!existsSync(chromiumPath)) throw new Error(`apt-get install chromium did not provide ${chromiumPath}`);
  return chromiumPath;
}

/** The flags these machines need (without the background-networking ones Chromium floods the closed network). */
export const chromiumArgs: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Options for playwright-core's `chromium.launch()`: headless, with the flags above. The fresh
 * temporary `--user-data-dir` comes from Playwright itself: `launch()` creates one per browser
 * (`$TMPDIR/playwright_chromiumdev_profile-*`), passes it, removes it on close, and refuses a
 * `--user-data-dir` in `args`. For `launchPersistentContext()` use `freshUserDataDir()`.
 */
export function chromiumLaunchOptions(executablePath: string = chromiumPath): { executablePath: string; headless: true; args: string[] } {
  return { executablePath, headless: true, args: [...chromiumArgs] };
}

/** A fresh temporary profile directory, for `launchPersistentContext()`; `remove()` after closing. */
export function freshUserDataDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'syncfleet-chromium-profile-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

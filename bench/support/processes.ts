// What every benchmark needs of the processes it starts: start one that announces itself with a JSON
// line, stop it, and read its CPU time and memory from /proc (Linux).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const repoRoot = join(import.meta.dirname, '..', '..');

/** A process of ours (emulator, app) that prints one JSON line once it listens; its stderr is passed on. */
export async function startJsonLineChild(
  entry: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; info: Record<string, unknown> }> {
  const child = spawn(process.execPath, [join(repoRoot, entry), ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${entry} exited (${code}) before it listened`)));
  });
  lines.close();
  return { child, info: JSON.parse(first) as Record<string, unknown> };
}

export interface AlgoliaEmulatorProcess {
  child: ChildProcess;
  url: string;
  appId: string;
  apiKey: string;
}

/** The Algolia emulator in a process of its own (a large heap: it holds whole indices). */
export async function startAlgoliaEmulatorProcess(args: string[] = []): Promise<AlgoliaEmulatorProcess> {
  const { child, info } = await startJsonLineChild('test/emulators/algolia.ts', ['--port', '0', ...args], { NODE_OPTIONS: '--max-old-space-size=8192' });
  const { url, appId, apiKey } = info as { url: string; appId: string; apiKey: string };
  return { child, url, appId, apiKey };
}

/** SIGTERM, then SIGKILL after `killAfterMs`; resolves with the exit code. */
export async function stopChild(child: ChildProcess, killAfterMs = 20_000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

/** CPU seconds (user + system) a live process has used so far (/proc/<pid>/stat, USER_HZ 100). */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // after the command name (in parentheses, may hold spaces): utime is the 12th field, stime the 13th
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A live process's peak (VmHWM) and current (VmRSS) resident memory, in kB. */
export function memoryOf(pid: number): { hwmKb: number; rssKb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { hwmKb: field('VmHWM'), rssKb: field('VmRSS') };
}

/** A live process's peak resident memory, in MB. */
export function peakRssMbOf(pid: number): number {
  return memoryOf(pid).hwmKb / 1024;
}

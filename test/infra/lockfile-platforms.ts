// The npm registry reachable from these machines serves only the Linux builds of packages that
// ship one optional package per platform (turbo, msgpackr-extract). `npm install` then leaves the
// other platforms out of package-lock.json, and `npm ci` refuses a lock file that lacks them. This
// adds the missing entries with their os/cpu (no download address), so `npm ci` skips them here
// and still resolves them on a macOS or Windows machine. Runs as the root postinstall; idempotent.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface LockEntry {
  version?: string;
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
  os?: string[];
  cpu?: string[];
  optionalDependencies?: Record<string, string>;
}

function platformOf(name: string): { os: string; cpu: string } | undefined {
  const os = /darwin/.test(name) ? 'darwin' : /win32|windows/.test(name) ? 'win32' : /linux/.test(name) ? 'linux' : undefined;
  const cpu = /arm64/.test(name) ? 'arm64' : /arm(?!64)/.test(name) ? 'arm' : /x64|-64$/.test(name) ? 'x64' : undefined;
  return os && cpu ? { os, cpu } : undefined;
}

const file = join(import.meta.dirname, '..', '..', 'package-lock.json');
const lock = JSON.parse(readFileSync(file, 'utf8')) as { packages: Record<string, LockEntry> };
const added: string[] = [];
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [dep, spec] of Object.entries(entry.optionalDependencies ?? {})) {
    const nested = `${path}/node_modules/${dep}`;
    const hoisted = `node_modules/${dep}`;
    if (lock.packages[nested] || lock.packages[hoisted]) continue;
    const platform = platformOf(dep);
    if (!platform || !/^\d+\.\d+\.\d+$/.test(spec)) continue;
    lock.packages[hoisted] = {
      version: spec,
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
      os: [platform.os],
      cpu: [platform.cpu],
    };
    added.push(`${dep}@${spec}`);
  }
}
if (added.length > 0) {
  lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
  writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
  process.stdout.write(`package-lock.json: added ${added.length} other-platform optional package(s): ${added.join(', ')}\n`);
}

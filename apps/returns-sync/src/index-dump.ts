// The index's records to a gzip NDJSON file (one record per line, in browse order) and a small
// manifest beside it (count, time, checksum). Both are written under a temporary name and renamed
// when complete, so a file that exists is whole. Memory holds one browse page at a time.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { browseAll, type AlgoliaClient, type RetryOptions } from '@syncfleet/algolia';

export interface DumpManifest {
  index: string;
  /** The NDJSON file's name (same directory as the manifest). */
  file: string;
  format: 'ndjson+gzip';
  records: number;
  /** Size of the compressed file. */
  bytes: number;
  /** SHA-256 of the compressed file, as `sha256sum` prints it. */
  sha256: string;
  startedAt: string;
  finishedAt: string;
}

export interface DumpResult {
  path: string;
  manifestPath: string;
  manifest: DumpManifest;
}

export interface DumpOptions {
  client: AlgoliaClient;
  indexName: string;
  dir: string;
  now?: () => Date;
  retry?: RetryOptions | undefined;
  signal?: AbortSignal | undefined;
}

/** `2025-06-01T02:30:00.123Z` -> `20250601T023000123Z` (sorts in time order, safe in file names). */
export function fileStamp(at: Date): string {
  return at.toISOString().replace(/[-:.]/g, '');
}

export async function dumpIndex(options: DumpOptions): Promise<DumpResult> {
  const { client, indexName, dir, retry, signal } = options;
  const now = options.now ?? (() => new Date());
  const startedAt = now();
  await mkdir(dir, { recursive: true });
  const safeIndex = indexName.replace(/[^A-Za-z0-9_.-]/g, '_');
  const path = join(dir, `${safeIndex}-${fileStamp(startedAt)}.ndjson.gz`);
  const manifestPath = path.replace(/\.ndjson\.gz$/, '.manifest.json');
  const partial = `${path}.partial`;

  let records = 0;
  async function* lines(): AsyncGenerator<string, void, undefined> {
    for await (const page of browseAll(client, indexName, { retry })) {
      signal?.throwIfAborted();
      let chunk = '';
      for (const hit of page) chunk += `${JSON.stringify(hit)}\n`;
      records += page.length;
      yield chunk;
    }
  }
  const hash = createHash('sha256');
  const digest = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(Readable.from(lines()), createGzip(), digest, createWriteStream(partial), signal ? { signal } : {});
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  const manifest: DumpManifest = {
    index: indexName,
    file: basename(path),
    format: 'ndjson+gzip',
    records,
    bytes: (await stat(path)).size,
    sha256: hash.digest('hex'),
    startedAt: startedAt.toISOString(),
    finishedAt: now().toISOString(),
  };
  await writeFile(`${manifestPath}.partial`, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(`${manifestPath}.partial`, manifestPath);
  return { path, manifestPath, manifest };
}

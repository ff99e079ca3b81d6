import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { envBoolean, envDurationMs, envInt, envList, envPort, envUrl } from './env-helpers.ts';
import { ConfigError, parseEnv } from './parse-env.ts';

const AppEnv = z
  .object({
    REDIS_URL: envUrl({ protocols: ['redis', 'rediss'] }),
    DATABASE_URL: envUrl({ protocols: ['postgres', 'postgresql'] }),
    HTTP_PORT: envPort(3000),
    SYNC_WINDOW_OVERLAP: envDurationMs(30 * 60_000),
    PAGE_SIZE: envInt({ min: 1, max: 1000, default: 500 }),
    DRY_RUN: envBoolean(false),
    ALGOLIA_API_KEY: z.string().min(1),
    TEAMS_WEBHOOK_URL: envUrl({ protocols: ['https'] }).optional(),
    NOTIFY_ON: envList(),
  })
  .superRefine((env, ctx) => {
    if (env.NOTIFY_ON.length > 0 && env.TEAMS_WEBHOOK_URL === undefined) {
      ctx.addIssue({ code: 'custom', path: ['TEAMS_WEBHOOK_URL'], message: 'required when NOTIFY_ON is set' });
    }
    if (env.DRY_RUN && env.PAGE_SIZE > 100) {
      ctx.addIssue({ code: 'custom', message: 'DRY_RUN needs PAGE_SIZE <= 100' });
    }
  });

const validEnv = {
  REDIS_URL: 'redis://localhost:6379',
  DATABASE_URL: 'postgres://app:pg-s3cret-pass@db:5432/app',
  ALGOLIA_API_KEY: 'algolia-key-0123456789',
};

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseEnv', () => {
  it('returns the typed, coerced config with defaults', () => {
    const config = parseEnv(AppEnv, { ...validEnv, HTTP_PORT: '8080', DRY_RUN: 'yes', PAGE_SIZE: '50', OTHER: 'x' });
    expect(config).toEqual({
      REDIS_URL: 'redis://localhost:6379',
      DATABASE_URL: 'postgres://app:pg-s3cret-pass@db:5432/app',
      HTTP_PORT: 8080,
      SYNC_WINDOW_OVERLAP: 1_800_000,
      PAGE_SIZE: 50,
      DRY_RUN: true,
      ALGOLIA_API_KEY: 'algolia-key-0123456789',
      NOTIFY_ON: [],
    });
  });

  it('reads process.env by default', () => {
    const Env = z.object({ SYNCFLEET_TEST_PORT: envPort() });
    process.env.SYNCFLEET_TEST_PORT = '4321';
    try {
      expect(parseEnv(Env)).toEqual({ SYNCFLEET_TEST_PORT: 4321 });
    } finally {
      delete process.env.SYNCFLEET_TEST_PORT;
    }
  });

  it('reports every problem at once, one per line, naming each variable', () => {
    const error = configError(() =>
      parseEnv(AppEnv, {
        REDIS_URL: 'http://localhost:6379',
        DATABASE_URL: 'not a url',
        HTTP_PORT: '99999',
        PAGE_SIZE: '0',
        DRY_RUN: 'maybe',
        SYNC_WINDOW_OVERLAP: 'soon',
      }),
    );
    expect(error.issues).toEqual([
      { variable: 'REDIS_URL', message: 'must use one of the protocols redis:, rediss: (got http:)' },
      { variable: 'DATABASE_URL', message: 'must be a valid absolute URL (scheme://...)' },
      { variable: 'HTTP_PORT', message: 'must be a port number (0-65535)' },
      { variable: 'SYNC_WINDOW_OVERLAP', message: expect.stringMatching(/^must be a duration/) as string },
      { variable: 'PAGE_SIZE', message: 'must be >= 1' },
      { variable: 'DRY_RUN', message: 'must be a boolean (true/false, 1/0, yes/no)' },
      { variable: 'ALGOLIA_API_KEY', message: 'required but not set' },
    ]);
    const lines = error.message.split('\n');
    expect(lines[0]).toBe('Invalid configuration (7 problems):');
    expect(lines.slice(1)).toEqual(error.issues.map((i) => `  - ${i.variable}: ${i.message}`));
    expect(error.name).toBe('ConfigError');
    expect(error).toBeInstanceOf(Error);
  });

  it('says "1 problem" for a single problem', () => {
    const error = configError(() => parseEnv(AppEnv, { ...validEnv, HTTP_PORT: 'x' }));
    expect(error.message).toBe('Invalid configuration (1 problem):\n  - HTTP_PORT: must be a port number (0-65535)');
  });

  it('includes superRefine issues, under their path or (config) when they have none', () => {
    const error = configError(() =>
      parseEnv(AppEnv, { ...validEnv, NOTIFY_ON: 'failure', DRY_RUN: 'true', PAGE_SIZE: '500' }),
    );
    expect(error.issues).toEqual([
      { variable: 'TEAMS_WEBHOOK_URL', message: 'required when NOTIFY_ON is set' },
      { variable: '(config)', message: 'DRY_RUN needs PAGE_SIZE <= 100' },
    ]);
    expect(error.message).toContain('  - TEAMS_WEBHOOK_URL: required when NOTIFY_ON is set');
    expect(error.message).toContain('  - (config): DRY_RUN needs PAGE_SIZE <= 100');
  });

  it('names nested paths with dots', () => {
    const Env = z.object({ A: z.string() }).superRefine((_env, ctx) => {
      ctx.addIssue({ code: 'custom', path: ['A', 'part'], message: 'bad part' });
    });
    expect(configError(() => parseEnv(Env, { A: 'x' })).issues).toEqual([{ variable: 'A.part', message: 'bad part' }]);
  });

  it('never prints secret values, even when an invalid value or a custom message holds one', () => {
    const secrets = {
      REDIS_URL: 'http://:redis-s3cret-pw@cache:6379',
      DATABASE_URL: 'postgres//app:pg-s3cret-pass@db/app',
      ALGOLIA_API_KEY: 'algolia-key-0123456789',
      TEAMS_WEBHOOK_URL: 'http://example.webhook.office.com/webhookb2/abc-secret-path',
      HTTP_PORT: 'port-s3cret-value',
    };
    const Env = AppEnv.superRefine((env, ctx) => {
      // A careless custom message quoting the value: the scrubber must catch it.
      ctx.addIssue({ code: 'custom', path: ['ALGOLIA_API_KEY'], message: `key ${env.ALGOLIA_API_KEY} is revoked` });
    });
    const error = configError(() => parseEnv(Env, secrets));
    for (const value of Object.values(secrets)) expect(error.message).not.toContain(value);
    for (const part of ['redis-s3cret-pw', 'pg-s3cret-pass', 'abc-secret-path', 'port-s3cret']) {
      expect(error.message).not.toContain(part);
    }
    expect(error.issues.map((i) => i.variable)).toEqual(['REDIS_URL', 'DATABASE_URL', 'HTTP_PORT', 'TEAMS_WEBHOOK_URL']);

    const custom = configError(() => parseEnv(Env, validEnv));
    expect(custom.issues).toEqual([{ variable: 'ALGOLIA_API_KEY', message: 'key [REDACTED] is revoked' }]);
  });

  it('turns zod\'s "expected string, received undefined" into "required but not set"', () => {
    const error = configError(() => parseEnv(z.object({ TOKEN: z.string(), NAME: z.string().min(3) }), { NAME: 'ab' }));
    expect(error.issues).toEqual([
      { variable: 'TOKEN', message: 'required but not set' },
      { variable: 'NAME', message: expect.stringMatching(/>=3 characters/) as string },
    ]);
  });
});

describe('parseEnv with blank variables', () => {
  const Env = z.object({
    HOOK: envUrl().optional(),
    PORT: envPort(3000),
    NAME: z.string().default('syncfleet'),
    TOKEN: z.string(),
    REDIS_URL: envUrl(),
  });

  it('treats a blank variable as unset: optional, defaults and "required but empty"', () => {
    const error = configError(() => parseEnv(Env, { HOOK: '', PORT: ' ', NAME: '', TOKEN: '', REDIS_URL: '  ' }));
    expect(error.issues).toEqual([
      { variable: 'TOKEN', message: 'required but empty' },
      { variable: 'REDIS_URL', message: 'required but empty' },
    ]);
    expect(parseEnv(Env, { HOOK: '', PORT: '', NAME: '', TOKEN: 't', REDIS_URL: 'redis://r' })).toEqual({
      PORT: 3000,
      NAME: 'syncfleet',
      TOKEN: 't',
      REDIS_URL: 'redis://r',
    });
  });
});

describe('loadEnvOrExit', () => {
  const fixture = fileURLToPath(new URL('./fixtures/exit-on-invalid.ts', import.meta.url));

  function runFixture(env: Record<string, string>) {
    const { PATH, HOME } = process.env;
    return spawnSync(process.execPath, [fixture], {
      env: { PATH, HOME, NODE_NO_WARNINGS: '1', ...env },
      encoding: 'utf8',
      timeout: 15_000,
    });
  }

  it('exits 1 listing every broken variable in one message on stderr', () => {
    const result = runFixture({ REDIS_URL: 'http://:pw-0123456789@localhost', HTTP_PORT: 'eighty', DRY_RUN: 'perhaps' });
    expect(result.error).toBeUndefined();
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      [
        'exit-on-invalid: Invalid configuration (3 problems):',
        '  - REDIS_URL: must use one of the protocols redis:, rediss: (got http:)',
        '  - HTTP_PORT: must be a port number (0-65535)',
        '  - DRY_RUN: must be a boolean (true/false, 1/0, yes/no)',
        '',
      ].join('\n'),
    );
  });

  it('returns the config when the env is valid', () => {
    const result = runFixture({ REDIS_URL: 'redis://localhost:6379', DRY_RUN: 'no' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ REDIS_URL: 'redis://localhost:6379', HTTP_PORT: 3000, DRY_RUN: false });
  });
});

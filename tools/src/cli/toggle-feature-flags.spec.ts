import os from 'node:os';
import Redis from 'ioredis';
import { Pool } from 'pg';
import { FlagRepository, platformRedisKeys } from '@dualwrite/dual-write';
import { prepareControlDatabase } from '@dualwrite/testing';
import { runCli, type CliRun } from './testing/run-cli';

const CLI = 'tools/src/cli/toggle-feature-flags.ts';
let controlDatabaseUrl: string;
let pool: Pool;
let repository: FlagRepository;

function runToggle(...args: string[]): Promise<CliRun> {
  return runCli(CLI, args, { CONTROL_DATABASE_URL: controlDatabaseUrl });
}

async function historyCount(): Promise<number> {
  const { rows } = await pool.query<{ n: string }>('select count(*) as n from dual_write_flag_history');
  return Number(rows[0]?.n);
}

async function backToPhase1(reason: string): Promise<void> {
  await repository.change({ next: { enableDualWrite: false, enableSupabasePrimary: false }, changedBy: 'toggle-feature-flags.spec', source: 'cli', reason });
}

beforeAll(async () => {
  controlDatabaseUrl = await prepareControlDatabase('dw_control_cli_spec');
  pool = new Pool({ connectionString: controlDatabaseUrl, max: 2 });
  repository = new FlagRepository(pool);
  await backToPhase1('phase 1 before the CLI tests');
});

afterAll(async () => {
  await backToPhase1('back to phase 1 after the CLI tests');
  await pool.end();
});

describe('toggle-feature-flags', () => {
  it('without flags prints the current flags and mode and changes nothing', async () => {
    const before = await repository.read();

    const run = await runToggle();

    expect(run.code).toBe(0);
    expect(run.stdout).toContain('current: enableDualWrite=false enableSupabasePrimary=false');
    expect(run.stdout).toContain('phase 1: prisma only [primary-only]');
    expect(run.stdout).toContain(`version ${before.version}`);
    expect(await repository.read()).toEqual(before);
  });

  it('--dual-write=on --primary=prisma switches to phase 2, prints current → new, and records who and why', async () => {
    const before = await repository.read();

    const run = await runToggle('--dual-write=on', '--primary=prisma', '--reason', 'start phase 2');

    expect(run.code).toBe(0);
    expect(run.stdout).toContain('phase 1: prisma only');
    expect(run.stdout).toContain('new:     enableDualWrite=true enableSupabasePrimary=false');
    expect(run.stdout).toContain('phase 2: dual write, prisma primary (supabase shadow) [dual-primary-a]');
    expect(run.stdout).toContain(`version ${before.version} → ${before.version + 1}`);
    expect(await repository.read()).toMatchObject({ enableDualWrite: true, enableSupabasePrimary: false, version: before.version + 1 });
    const [latest] = await repository.history(1);
    expect(latest).toMatchObject({ changedBy: `cli:${os.userInfo().username}`, source: 'cli', reason: 'start phase 2' });
  });

  it('publishes the change so running processes drop their cached flags', async () => {
    const subscriber = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
    try {
      const messages: string[] = [];
      subscriber.on('message', (_channel: string, message: string) => messages.push(message));
      await subscriber.subscribe(platformRedisKeys().flagsChanged);

      const run = await runToggle('--dual-write=on', '--reason', 'phase 2');
      const after = await repository.read();
      const deadline = Date.now() + 5_000;
      while (!messages.some((message) => JSON.parse(message).version === after.version) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }

      expect(run.code).toBe(0);
      expect(run.stderr).toBe('');
      expect(messages.map((message) => JSON.parse(message))).toContainEqual({ version: after.version });
    } finally {
      subscriber.disconnect();
    }
  });

  it('a jump the phase gates refuse exits 1 naming the way round and writes nothing; --force goes ahead and the history says so', async () => {
    await backToPhase1('the gate scenario starts in phase 1');
    const before = await repository.read();

    const refused = await runToggle('--dual-write=on', '--primary=supabase', '--reason', 'skip ahead');

    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('refused: phase 1 → 3 refused by the phase gates: phase 1 → 3 is not a step: go through 1 → 2 → 3');
    expect(await repository.read()).toEqual(before);

    const forced = await runToggle('--dual-write=on', '--primary=supabase', '--reason', 'rehearsal on an empty database', '--force');

    expect(forced.code).toBe(0);
    const [latest] = await repository.history(1);
    expect(latest?.reason).toContain('rehearsal on an empty database [forced past the phase gates: phase 1 → 3 is not a step');
    await backToPhase1('the gate scenario leaves phase 1 as it found it');
  });

  it('--primary=oracle exits 2 naming --primary and its allowed values, with the usage line, and writes nothing', async () => {
    const before = await repository.read();
    const entries = await historyCount();

    const run = await runToggle('--dual-write=on', '--primary=oracle', '--reason', 'typo');

    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([
      '--primary must be one of prisma|supabase, got "oracle"',
      expect.stringMatching(/^usage: npm run toggle-feature-flags -- .*\(--help for more\)$/),
    ]);
    expect(run.stdout).toBe('');
    expect(await repository.read()).toEqual(before);
    expect(await historyCount()).toBe(entries);
  });

  it('a change without --reason exits 2 naming --reason, and writes nothing', async () => {
    const before = await repository.read();
    const entries = await historyCount();

    const run = await runToggle('--dual-write=off');

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--reason is required');
    expect(await repository.read()).toEqual(before);
    expect(await historyCount()).toBe(entries);
  });

  it('a stale --expected-version is refused (exit 1) and writes nothing', async () => {
    const before = await repository.read();
    const entries = await historyCount();

    const run = await runToggle('--dual-write=off', '--reason', 'old read', `--expected-version=${before.version - 1}`);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain('read them again');
    expect(run.stderr).toContain('Nothing was changed');
    expect(await repository.read()).toEqual(before);
    expect(await historyCount()).toBe(entries);
  });
});

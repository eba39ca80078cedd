import { Pool } from 'pg';
import { describeMode, modeOf } from './dual-write-mode';
import { FlagRepository, InvalidFlagChangeError, RolesMovedError, StaleFlagsError, type FlagState } from './flag-repository';
import { FlagService } from './flag-service';

const controlUrl = process.env['PRIMARY_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/dw_primary';
const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

describe('dual-write modes', () => {
  it.each([
    [false, false, 'primary-only', 1, 'phase 1: prisma only'],
    [true, false, 'dual-primary-a', 2, 'phase 2: dual write, prisma primary (supabase shadow)'],
    [true, true, 'dual-primary-b', 3, 'phase 3: dual write, supabase primary (prisma shadow)'],
    [false, true, 'secondary-only', 4, 'phase 4: supabase only'],
  ])('dual-write=%s, supabase-primary=%s is mode %s (phase %d)', (enableDualWrite, enableSupabasePrimary, name, phase, described) => {
    const mode = modeOf({ enableDualWrite, enableSupabasePrimary });
    expect(mode).toMatchObject({ name, phase });
    expect(describeMode(mode, { a: 'prisma', b: 'supabase' })).toBe(described);
  });
});

describe('flags in the control database', () => {
  const pool = new Pool({ connectionString: controlUrl, max: 2 });
  const repository = new FlagRepository(pool);
  let original: FlagState;

  beforeAll(async () => {
    original = await repository.read();
  });

  afterAll(async () => {
    await repository.change({
      next: { enableDualWrite: original.enableDualWrite, enableSupabasePrimary: original.enableSupabasePrimary },
      changedBy: 'flags.spec',
      source: 'cli',
      reason: 'restore the flags the test found',
    });
    await pool.end();
  });

  async function historyCount(): Promise<number> {
    const { rows } = await pool.query<{ n: string }>('select count(*) as n from dual_write_flag_history');
    return Number(rows[0]?.n);
  }

  it('a change bumps the version and records who, why, before and after', async () => {
    const before = await repository.read();

    const { after } = await repository.change({
      next: { enableDualWrite: !before.enableDualWrite },
      changedBy: 'alice',
      source: 'api',
      reason: 'start phase 2',
    });
    const [latest] = await repository.history(1);

    expect(after).toMatchObject({ enableDualWrite: !before.enableDualWrite, version: before.version + 1, updatedBy: 'alice', reason: 'start phase 2' });
    expect(latest).toMatchObject({
      changedBy: 'alice',
      source: 'api',
      reason: 'start phase 2',
      before: { enableDualWrite: before.enableDualWrite, enableSupabasePrimary: before.enableSupabasePrimary },
      after: { enableDualWrite: !before.enableDualWrite, enableSupabasePrimary: before.enableSupabasePrimary },
    });
  });

  it('a change without a reason is refused and nothing is written', async () => {
    const before = await repository.read();
    const entries = await historyCount();

    const change = repository.change({ next: { enableDualWrite: true }, changedBy: 'alice', source: 'api', reason: '  ' });

    await expect(change).rejects.toThrow(InvalidFlagChangeError);
    await expect(change).rejects.toThrow('reason is required');
    expect((await repository.read()).version).toBe(before.version);
    expect(await historyCount()).toBe(entries);
  });

  it('a change based on a stale version is refused and nothing is written', async () => {
    const before = await repository.read();
    const entries = await historyCount();

    const change = repository.change({
      next: { enableSupabasePrimary: true },
      changedBy: 'bob',
      source: 'api',
      reason: 'switch reads',
      expectedVersion: before.version - 1,
    });

    await expect(change).rejects.toBeInstanceOf(StaleFlagsError);
    expect(await repository.read()).toEqual(before);
    expect(await historyCount()).toBe(entries);
  });

  it('another flag service with a long cache sees a flip within a second through Redis', async () => {
    const otherPool = new Pool({ connectionString: controlUrl, max: 1 });
    const changer = new FlagService(repository, { redisUrl, cacheTtlMs: 60_000 });
    const watcher = new FlagService(new FlagRepository(otherPool), { redisUrl, cacheTtlMs: 60_000 });
    try {
      await Promise.all([changer.start(), watcher.start()]);
      const seen = await watcher.current();

      await changer.change({
        next: { enableDualWrite: !seen.enableDualWrite },
        changedBy: 'carol',
        source: 'cli',
        reason: 'flip for the propagation test',
      });

      const deadline = Date.now() + 1_000;
      let now = await watcher.current();
      while (now.version === seen.version && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        now = await watcher.current();
      }
      expect(now.version).toBe(seen.version + 1);
      expect(now.enableDualWrite).toBe(!seen.enableDualWrite);
    } finally {
      await Promise.all([changer.close(), watcher.close()]);
      await otherPool.end();
    }
  });

  describe('work whose roles were read from the flags (withPrimaryHeld) and a flip waiting for it (waitForRoleSyncs)', () => {
    const storeAPrimary = () => repository.change({ next: { enableSupabasePrimary: false }, changedBy: 'flags.spec', source: 'cli', reason: 'store A primary for the test' });
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    it('a flip waits for work under the roles it read; one that gives up first says so', async () => {
      await storeAPrimary();
      let workEnded = 0;
      const holding = repository.withPrimaryHeld('a', async () => {
        await sleep(400);
        workEnded = Date.now();
      });
      await sleep(50);

      await expect(repository.waitForRoleSyncs(100)).resolves.toBe(false);
      await expect(repository.waitForRoleSyncs(5_000)).resolves.toBe(true);
      expect(workEnded).toBeGreaterThan(0);
      await holding;
    });

    it('refuses, without running it, work whose primary the flags no longer name', async () => {
      await storeAPrimary();
      let ran = false;

      const refused = repository.withPrimaryHeld('b', async () => {
        ran = true;
      });

      await expect(refused).rejects.toThrow(RolesMovedError);
      await expect(refused).rejects.toThrow('the flags no longer name store B the primary');
      expect(ran).toBe(false);
    });
  });
});

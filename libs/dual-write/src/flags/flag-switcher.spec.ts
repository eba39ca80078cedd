import { eventually, prepareControlDatabase } from '@dualwrite/testing';
import { Pool } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { OperationLedger } from '../ledger/operation-ledger';
import { FlagRepository } from './flag-repository';
import { FlagService } from './flag-service';
import { FlagSwitcher, FlipInProgressError, FlipRefusedError, PhaseGateRefusedError, type GateEvidenceSource } from './flag-switcher';
import type { EntityGateEvidence } from './phase-gates';
import { ProcessRegistry } from './process-registry';

const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const PHASE_2 = { enableDualWrite: true, enableSupabasePrimary: false };
const PHASE_3 = { enableDualWrite: true, enableSupabasePrimary: true };
const PHASE_1 = { enableDualWrite: false, enableSupabasePrimary: false };

describe('FlagSwitcher: fenced flips of the primary', () => {
  let pool: Pool;
  let repository: FlagRepository;
  let ledger: OperationLedger;
  let registry: ProcessRegistry;
  let flags: FlagService;
  const prefix = `dw-test-switcher-${uuidv7()}`;

  beforeAll(async () => {
    pool = new Pool({ connectionString: await prepareControlDatabase('dw_control_switcher_spec'), max: 6 });
    repository = new FlagRepository(pool);
    ledger = new OperationLedger(pool);
    registry = new ProcessRegistry(pool);
    flags = new FlagService(repository, { redisUrl, redisKeyPrefix: prefix, cacheTtlMs: 0 });
    await flags.start();
  });

  beforeEach(async () => {
    await pool.query('truncate dual_write_ops, dual_write_processes');
    await repository.change({ next: PHASE_2, changedBy: 'spec', source: 'cli', reason: 'each scenario starts in phase 2' });
  });

  afterAll(async () => {
    await flags.close();
    await pool.end();
  });

  function switcher(settleTimeoutMs = 500): FlagSwitcher {
    return new FlagSwitcher({ flags, ledger, registry, settleTimeoutMs, pollMs: 20 });
  }

  async function claimUnderCurrentVersion(): Promise<string> {
    const opId = uuidv7();
    const { version } = await repository.read();
    await ledger.claim({ opId, entity: 'budgets', operation: 'update', entityIds: [uuidv7()], payload: {}, primaryStore: 'prisma', secondaryStore: 'supabase', flagVersion: version });
    return opId;
  }

  it('a change that keeps the primary is applied at once, without a fence', async () => {
    const result = await switcher().change({ next: PHASE_1, changedBy: 'spec', source: 'cli', reason: 'dual writes off' });

    expect(result.fenced).toBe(false);
    expect(result.after.mode.phase).toBe(1);
    expect((await repository.read()).fenced).toBe(false);
  });

  it('a flip of the primary fences, waits for nothing outstanding, then lifts the fence on the new flags', async () => {
    const result = await switcher().change({ next: PHASE_3, changedBy: 'spec', source: 'cli', reason: 'switch the primary' });

    expect(result).toMatchObject({ fenced: true, before: { mode: { phase: 2 } }, after: { mode: { phase: 3 }, fenced: false } });
    const history = await repository.history(2);
    expect(history.map((entry) => entry.reason)).toEqual([expect.stringContaining('fence lifted'), 'switch the primary']);
  });

  it('refuses the flip naming a live process that still acts on the old version, and puts the flags back', async () => {
    const { version } = await repository.read();
    await registry.report('api:host-7:4242:stale', 'api', version);

    const flip = switcher().change({ next: PHASE_3, changedBy: 'spec', source: 'cli', reason: 'switch the primary' });

    await expect(flip).rejects.toThrow(FlipRefusedError);
    await expect(flip).rejects.toThrow(/api:host-7:4242:stale \(api, on version \d+\) did not confirm version/);
    const after = await repository.read();
    expect(after).toMatchObject({ enableSupabasePrimary: false, enableDualWrite: true, fenced: false });
  });

  it('waits for a write claimed under the old version to settle before it lifts the fence', async () => {
    const opId = await claimUnderCurrentVersion();

    const flip = switcher(5_000).change({ next: PHASE_3, changedBy: 'spec', source: 'cli', reason: 'switch the primary' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await repository.read()).fenced).toBe(true);
    await ledger.transition(opId, 'primary_wrote', {});
    await ledger.transition(opId, 'secondary_synced', {});

    await expect(flip).resolves.toMatchObject({ after: { mode: { phase: 3 }, fenced: false } });
  });

  it('refuses at once when a write claimed under the old version is dead: the new primary would lack it', async () => {
    const opId = await claimUnderCurrentVersion();
    await ledger.transition(opId, 'primary_wrote', {});
    await ledger.transition(opId, 'secondary_failed', {});
    await ledger.transition(opId, 'replay_gave_up', { lastError: 'supabase down for good' });

    const flip = switcher(5_000).change({ next: PHASE_3, changedBy: 'spec', source: 'cli', reason: 'switch the primary' });

    await expect(flip).rejects.toThrow(new RegExp(`dead \\(${opId}\\)`));
    expect((await repository.read()).enableSupabasePrimary).toBe(false);
  });

  it('holds writes while fenced and lets them through once the fence lifts', async () => {
    const opId = await claimUnderCurrentVersion();
    const flip = switcher(5_000).change({ next: PHASE_3, changedBy: 'spec', source: 'cli', reason: 'switch the primary' });
    await eventually(async () => ((await repository.read()).fenced ? true : undefined));

    const held = flags.unfenced(5_000);
    await ledger.transition(opId, 'primary_wrote_alone', {});

    await expect(held).resolves.toMatchObject({ fenced: false, mode: { phase: 3 } });
    await flip;
  });

  it('a write held longer than its limit is refused as unavailable (503, retry shortly)', async () => {
    await claimUnderCurrentVersion();
    const flip = switcher(1_000).change({ next: PHASE_3, changedBy: 'spec', source: 'cli', reason: 'switch the primary' }).catch((error: unknown) => error);
    await eventually(async () => ((await repository.read()).fenced ? true : undefined));

    await expect(flags.unfenced(200)).rejects.toMatchObject({ kind: 'unavailable', message: expect.stringContaining('phase flip is fencing writes') });
    await expect(flip).resolves.toBeInstanceOf(FlipRefusedError);
  });

  it('a fence left by a flip whose process stopped is lifted back to the old flags after two minutes, not before', async () => {
    await repository.change({ next: PHASE_3, changedBy: 'a flipper that then stopped', source: 'api', reason: 'switch the primary', fenced: true });
    await expect(repository.liftAbandonedFence(120_000, 'spec')).resolves.toBeNull();
    await pool.query(`update dual_write_flags set updated_at = now() - interval '3 minutes'`);

    const restored = await repository.liftAbandonedFence(120_000, 'spec');

    expect(restored).toMatchObject({ enableDualWrite: true, enableSupabasePrimary: false, fenced: false, reason: expect.stringContaining('never finished') });
  });

  describe('a fence whose flipping process is recorded', () => {
    const fencer = `api:spec:fencer:${uuidv7()}`;
    const fence = () =>
      repository.change({ next: PHASE_3, changedBy: 'a flipper', source: 'api', reason: 'switch the primary', fenced: true, fencedBy: fencer });
    const reported = (secondsAgo: number) =>
      pool.query(`insert into dual_write_processes (process_id, kind, flag_version, seen_at) values ($1, 'api', 1, now() - make_interval(secs => $2))`, [
        fencer,
        secondsAgo,
      ]);

    it('is lifted back to the old flags as soon as that process has not reported for the liveness window', async () => {
      await reported(10);
      await fence();
      await pool.query(`update dual_write_flags set updated_at = now() - interval '6 seconds'`);

      const restored = await repository.liftAbandonedFence(120_000, 'spec', 5_000);

      expect(restored).toMatchObject({ enableSupabasePrimary: false, fenced: false, fencedBy: null, reason: expect.stringContaining(`process ${fencer} fenced writes`) });
    });

    it('is kept while that process still reports, and while the fence is younger than the window', async () => {
      await reported(0);
      await fence();
      await pool.query(`update dual_write_flags set updated_at = now() - interval '30 seconds'`);
      await expect(repository.liftAbandonedFence(120_000, 'spec', 5_000)).resolves.toBeNull();

      await pool.query('delete from dual_write_processes where process_id = $1', [fencer]);
      await pool.query(`update dual_write_flags set updated_at = now()`);
      await expect(repository.liftAbandonedFence(120_000, 'spec', 5_000)).resolves.toBeNull();
      expect(await repository.read()).toMatchObject({ fenced: true, fencedBy: fencer });
    });

    it.each([
      ['the same flip sent again', PHASE_3],
      ['dual writes off on the fenced primary (phase 4)', { enableDualWrite: false, enableSupabasePrimary: true }],
    ])('refuses a change while that process still reports (%s), naming the flip and its process: the fence stays', async (_label, next) => {
      await reported(0);
      const { after: fenced } = await fence();

      const change = switcher().change({ next, changedBy: 'spec', source: 'api', reason: 'a second change during the barrier' });

      await expect(change).rejects.toThrow(FlipInProgressError);
      await expect(change).rejects.toThrow(`fencing writes (flag version ${fenced.version}, by ${fencer},`);
      expect(await repository.read()).toMatchObject({ version: fenced.version, fenced: true, fencedBy: fencer });
    });

    it('a flip sent again after that process stopped reporting lifts its fence, then goes through a barrier of its own', async () => {
      await reported(10);
      await fence();
      await pool.query(`update dual_write_flags set updated_at = now() - interval '6 seconds'`);

      const result = await switcher().change({ next: PHASE_3, changedBy: 'operator', source: 'api', reason: 'the same flip sent again' });

      expect(result).toMatchObject({ fenced: true, before: { mode: { phase: 2 } }, after: { mode: { phase: 3 }, fenced: false } });
      const history = await repository.history(4);
      expect(history.map((entry) => entry.reason)).toEqual([
        expect.stringContaining('fence lifted'),
        'the same flip sent again',
        expect.stringContaining(`process ${fencer} fenced writes for a flip`),
        'switch the primary',
      ]);
    });

    it('a flip refused after its fence was lifted leaves the newer flags as they are', async () => {
      await claimUnderCurrentVersion();
      const flip = switcher(1_000).change({ next: PHASE_3, changedBy: 'spec', source: 'cli', reason: 'switch the primary' });
      await eventually(async () => ((await repository.read()).fenced ? true : undefined));
      await repository.liftAbandonedFence(0, 'spec: taken for stopped');
      await repository.change({ next: PHASE_1, changedBy: 'spec', source: 'cli', reason: 'a newer change' });

      await expect(flip).rejects.toThrow(/its fence had already been lifted \(the flags are at version \d+\), so they were left as they are/);
      expect(await repository.read()).toMatchObject({ enableDualWrite: false, enableSupabasePrimary: false, reason: 'a newer change' });
    });

    it('is recorded by the flag service of the process that flips, and cleared when the fence lifts', async () => {
      const registered = new FlagService(repository, { redisUrl, redisKeyPrefix: prefix, cacheTtlMs: 0, registry: { registry, processId: fencer, kind: 'api' } });
      await registered.start();
      try {
        await registered.change({ next: PHASE_3, changedBy: 'spec', source: 'cli', reason: 'switch the primary', fenced: true });
        expect(await repository.read()).toMatchObject({ fenced: true, fencedBy: fencer });
        await registered.change({ next: PHASE_3, changedBy: 'spec', source: 'cli', reason: 'fence lifted' });
        expect(await repository.read()).toMatchObject({ fenced: false, fencedBy: null });
      } finally {
        await registered.close();
      }
    });
  });

  describe('with the phase gates', () => {
    const HOUR = 3_600_000;
    let records: { at: Date; entities: Record<string, EntityGateEvidence> };

    /** Budgets copied A→B an hour ago and reconciled clean since: the gate to phase 3 is open. */
    beforeEach(() => {
      const now = new Date();
      records = {
        at: now,
        entities: { budgets: { copied: { 'a-to-b': new Date(now.getTime() - HOUR), 'b-to-a': null }, cleanReconcileAt: new Date(now.getTime() - HOUR / 2) } },
      };
    });

    function gated(evidence: GateEvidenceSource = { read: async () => records }): FlagSwitcher {
      return new FlagSwitcher({ flags, ledger, registry, settleTimeoutMs: 500, pollMs: 20, gates: { evidence, entities: ['budgets'], policy: { reconcileMaxAgeMs: 24 * HOUR } } });
    }

    it('refuses a jump that is no step, naming the way round, and leaves the flags and their history as they were', async () => {
      await repository.change({ next: PHASE_1, changedBy: 'spec', source: 'cli', reason: 'start in phase 1' });
      const before = await repository.read();

      const refused = gated().change({ next: PHASE_3, changedBy: 'spec', source: 'cli', reason: 'skip ahead' });

      await expect(refused).rejects.toThrow(PhaseGateRefusedError);
      await expect(refused).rejects.toThrow('phase 1 → 3 is not a step: go through 1 → 2 → 3');
      expect(await repository.read()).toMatchObject({ version: before.version, enableDualWrite: false, enableSupabasePrimary: false });
    });

    it('moves to phase 3 when every entity is copied and reconciled clean since, and nothing is owed', async () => {
      const result = await gated().change({ next: PHASE_3, changedBy: 'spec', source: 'cli', reason: 'copy and reconcile done' });

      expect(result.after.mode.phase).toBe(3);
    });

    it('refuses phase 3 while store B owes a write, naming it, with the flags unchanged', async () => {
      const opId = await claimUnderCurrentVersion();
      await ledger.transition(opId, 'primary_wrote', {});
      await ledger.transition(opId, 'secondary_failed', { lastError: 'store B down' });

      await expect(gated().change({ next: PHASE_3, changedBy: 'spec', source: 'cli', reason: 'too early' })).rejects.toThrow(
        '1 operation(s) store B still owes (replay them first)',
      );
      expect((await repository.read()).enableSupabasePrimary).toBe(false);
    });

    it('refuses phase 3 for an entity never copied; forced with a reason it goes ahead, and the history says what was overridden', async () => {
      records.entities['budgets'] = { copied: { 'a-to-b': null, 'b-to-a': null }, cleanReconcileAt: null };
      await expect(gated().change({ next: PHASE_3, changedBy: 'spec', source: 'cli', reason: 'no copy' })).rejects.toThrow('budgets: no complete copy A→B');

      const forced = await gated().change({ next: PHASE_3, changedBy: 'spec', source: 'cli', reason: 'table recreated by hand on B', force: true });

      expect(forced.after.mode.phase).toBe(3);
      const [latest] = await repository.history(1);
      expect(latest?.reason).toContain('table recreated by hand on B [forced past the phase gates: budgets: no complete copy A→B (`copy-data`)]');
    });

    it('refuses a gated step when the records cannot be read', async () => {
      const unreadable: GateEvidenceSource = { read: async () => Promise.reject(new Error('relation "copy_runs" does not exist')) };

      await expect(gated(unreadable).change({ next: PHASE_3, changedBy: 'spec', source: 'cli', reason: 'try' })).rejects.toThrow(
        'needs the copy and reconcile records, which could not be read',
      );
    });

    it('lets steps that need no evidence through without reading any (phase 2 → 1)', async () => {
      const unreadable: GateEvidenceSource = { read: async () => Promise.reject(new Error('not read')) };

      await expect(gated(unreadable).change({ next: PHASE_1, changedBy: 'spec', source: 'cli', reason: 'back to A only' })).resolves.toMatchObject({ after: { mode: { phase: 1 } } });
    });
  });
});

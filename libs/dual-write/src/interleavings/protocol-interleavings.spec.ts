import { prepareControlDatabase } from '@dualwrite/testing';
import fc from 'fast-check';
import { describeProgram, programArb, type Program } from '../../test/interleavings/program';
import { InterleavingWorld, type RunStats } from '../../test/interleavings/world';

/**
 * The write protocol (PROTOCOL.md) under random interleavings: the real DualWriteEngine in two api processes
 * (each its own flags cache, breakers and PostgreSQL sessions), the worker's ReplayProcessor and sweep, and the
 * operator's FlagSwitcher, over two InMemoryStores named like the real ones (prisma = A, supabase = B). The
 * ledger, the advisory locks and the flags are on real PostgreSQL (a control database of this suite's own), the
 * replay queue on real Redis. fast-check's scheduler releases every store call's landing and answer, every
 * scheduled call timeout, every start of a command and every look of the flip barrier at the ledger; the driver
 * releases one only once PostgreSQL and Redis are quiet, so a seed replays its interleaving.
 *
 * A program mixes writes of two items (uuid keys) and notes (serial keys) by either process, retries of an
 * earlier write (same opId and payload), stores going down / slow (calls time out and may land later) / up,
 * flips of the primary (2 → 3, 3 → 2), replays of the queue, sweeps, a process crash and a flags reread. After
 * it, faults heal and everything owed or unknown is swept and replayed until the ledger has nothing open; then:
 *   I1  every acknowledged write, or a later one, is on the store that ends as primary;
 *   I2  every row on either store was written by some primary (checked at every quiet moment too);
 *   I3  every operation the ledger marks applied has its version, or a later one, on both stores (at every quiet
 *       moment, but for the known limit of PROTOCOL.md: a key a crashed process's sync call reached late, until the end);
 *   I4  no attempt answers success for a write that took effect nowhere; no retry is refused permanently because
 *       of its own earlier attempt when every earlier attempt failed only as unavailable (or went unanswered);
 *   I5  both stores hold the same rows (but for the documented limit: a serial create whose key nobody learnt).
 * The sweep keeps its timing assumption: a stopped process's operations are moved on only once every call it sent
 * has settled (the real sweep waits minutes).
 * A failure prints the seed, the shrunk program, the scheduler's releases and which invariant broke.
 * FC_SEED, FC_RUNS and FC_PATH replay or widen a run; FC_TIME_LIMIT_MS bounds each property (default 80 s for the
 * engine writing alone, 50 s for the engine as the api module builds it, with group commit; FC_BATCHED=only|off
 * runs one of the two).
 */

const SEED = Number(process.env['FC_SEED'] ?? 20261207);
const RUNS = Number(process.env['FC_RUNS'] ?? 600);
const TIME_LIMIT_MS = process.env['FC_TIME_LIMIT_MS'] === undefined ? undefined : Number(process.env['FC_TIME_LIMIT_MS']);
const MAX_COMMANDS = 10;
/** FC_PROGRAM='{"initial":…,"commands":[…]}' explores one program (e.g. a shrunk counterexample) under many interleavings. */
const given = process.env['FC_PROGRAM'] ? fc.constant(JSON.parse(process.env['FC_PROGRAM']) as Program) : undefined;

const WORLDS = [
  { batched: false, title: 'each write alone', controlDatabase: 'dw_control_interleavings', timeLimitMs: TIME_LIMIT_MS ?? 80_000 },
  // Claims, the primary's outcomes and syncs grouped as DualWriteModule does: a sync settles the writes it carries.
  { batched: true, title: 'with group commit', controlDatabase: 'dw_control_interleavings_batched', timeLimitMs: TIME_LIMIT_MS ?? 50_000 },
].filter((world) => (process.env['FC_BATCHED'] === 'only' ? world.batched : process.env['FC_BATCHED'] === 'off' ? !world.batched : true));

describe.each(WORLDS)('the write protocol under random interleavings (fc.scheduler), $title', ({ batched, controlDatabase, timeLimitMs }) => {
  const world = new InterleavingWorld(batched);
  const totals = { runs: 0, steps: 0, acknowledged: 0, flips: 0, flipsRefused: 0, crashes: 0, knownLimitRows: 0, crashWindows: 0, groupedSyncs: 0, traces: new Set<string>() };

  beforeAll(async () => world.start(await prepareControlDatabase(controlDatabase)), 60_000);
  afterAll(async () => {
    await world.stop();
    console.log(
      `interleavings${batched ? ' (group commit)' : ''}: ${totals.runs} runs, ${totals.traces.size} distinct interleavings, ${totals.steps} scheduled releases, ` +
        `${totals.acknowledged} acknowledged writes, ${totals.flips} flips (${totals.flipsRefused} refused), ${totals.crashes} crashes, ` +
        `${batched ? `${totals.groupedSyncs} syncs settling several writes at once, ` : ''}${totals.knownLimitRows} serial rows and ${totals.crashWindows} crashed-sync landings of the known limits (seed ${SEED})`,
    );
  }, 60_000);

  function count(stats: RunStats): void {
    totals.runs += 1;
    totals.steps += stats.steps;
    totals.acknowledged += stats.acknowledged;
    totals.flips += stats.flips;
    totals.flipsRefused += stats.flipsRefused;
    totals.crashes += stats.crashes;
    totals.knownLimitRows += stats.knownLimitRows;
    totals.crashWindows += stats.crashWindows;
    totals.groupedSyncs += stats.groupedSyncs;
    totals.traces.add(stats.trace);
  }

  it('keeps I1–I5 for every program and interleaving', async () => {
    // Past the time budget the runs left end at once, uncounted. fast-check's interruptAfterTimeLimit would abandon
    // the run in flight instead, whose writes then go on after afterAll has closed the pools.
    const deadline = Date.now() + timeLimitMs;
    await fc.assert(
      fc.asyncProperty(given ?? programArb(MAX_COMMANDS, { sameEngineMostly: batched }), fc.scheduler(), async (program, scheduler) => {
        if (Date.now() > deadline) return;
        try {
          count(await world.run(program, scheduler));
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          throw new Error(`${message}\nprogram:\n${describeProgram(program)}`, { cause: error });
        }
      }),
      {
        seed: SEED,
        numRuns: RUNS,
        path: process.env['FC_PATH'],
      },
    );
  }, 600_000);
});

import { DiffQueue, bullConnection } from '@dualwrite/dual-write';
import { prepareControlDatabase } from '@dualwrite/testing';
import { Queue } from 'bullmq';
import { Pool } from 'pg';
import { eventually, removeTestQueues, testDiff, testQueueNames } from '../testing/worker-test-app';
import { startWorkerProcess, type WorkerProcess } from '../testing/worker-process';

const redisUrl = process.env['REDIS_URL'] as string;
const DIFFS = 2_000;

describe('worker killed mid-batch', () => {
  const queues = testQueueNames('crash');
  const producer = new DiffQueue({ redisUrl, queueName: queues.diffsQueue });
  const diffsQueue = new Queue(queues.diffsQueue, { connection: bullConnection(redisUrl) });
  let controlDatabaseUrl: string;
  let pool: Pool;
  const running: WorkerProcess[] = [];

  beforeAll(async () => {
    controlDatabaseUrl = await prepareControlDatabase('dw_control_worker_crash');
    pool = new Pool({ connectionString: controlDatabaseUrl, max: 2 });
  });

  afterAll(async () => {
    for (const worker of running) worker.kill('SIGKILL');
    await Promise.all([diffsQueue.close(), producer.close(), pool.end()]);
    await removeTestQueues(queues);
  });

  function startWorker(): WorkerProcess {
    const worker = startWorkerProcess({
      CONTROL_DATABASE_URL: controlDatabaseUrl,
      DW_REPLAY_QUEUE: queues.replayQueue,
      DW_DIFFS_QUEUE: queues.diffsQueue,
      // Small batches keep the worker busy long enough to be killed mid-way; short locks bring the
      // killed worker's jobs back within seconds instead of 30 s.
      DW_DIFF_BATCH_SIZE: '20',
      DW_QUEUE_LOCK_MS: '2000',
      DW_QUEUE_STALLED_INTERVAL_MS: '1000',
    });
    running.push(worker);
    return worker;
  }

  async function storedCount(diffIds: string[]): Promise<number> {
    const { rows } = await pool.query<{ n: string }>('select count(*) as n from dual_write_diffs where diff_id = any($1::uuid[])', [diffIds]);
    return Number(rows[0]?.n);
  }

  it('loses and doubles no diff when the worker is SIGKILLed while storing and started again', async () => {
    const diffs = Array.from({ length: DIFFS }, () => testDiff());
    const diffIds = diffs.map((diff) => diff.diffId);
    for (let start = 0; start < DIFFS; start += 200) {
      await Promise.all(diffs.slice(start, start + 200).map((diff) => producer.record(diff)));
    }

    const first = startWorker();
    const storedBeforeKill = await eventually(async () => {
      const stored = await storedCount(diffIds);
      return stored > 0 ? stored : undefined;
    }, 30_000, 5);
    first.kill('SIGKILL');
    const killed = await first.finished;
    const activeAtKill = await diffsQueue.getActiveCount();

    const second = startWorker();
    await eventually(async () => ((await storedCount(diffIds)) === DIFFS ? true : undefined), 60_000, 200);
    await eventually(async () => ((await producer.depth()) === 0 ? true : undefined), 30_000, 200);
    second.kill('SIGTERM');
    const stopped = await second.finished;

    expect(killed.signal).toBe('SIGKILL');
    // Killed while storing: some batches stored, others held by the dead process.
    expect(storedBeforeKill).toBeLessThan(DIFFS);
    expect(activeAtKill).toBeGreaterThan(0);
    const { rows } = await pool.query<{ diff_id: string; n: string }>(
      'select diff_id, count(*) as n from dual_write_diffs where diff_id = any($1::uuid[]) group by diff_id',
      [diffIds],
    );
    expect(rows).toHaveLength(DIFFS);
    expect(rows.every((row) => row.n === '1')).toBe(true);
    expect(await diffsQueue.getFailedCount()).toBe(0);
    // Nest re-raises SIGTERM once its shutdown hooks have run; nothing was written to stderr on the way.
    expect(stopped.signal).toBe('SIGTERM');
    expect(stopped.stderr).toBe('');
  }, 120_000);
});

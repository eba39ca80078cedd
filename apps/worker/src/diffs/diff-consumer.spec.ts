import type { INestApplicationContext } from '@nestjs/common';
import { DiffQueue } from '@dualwrite/dual-write';
import { prepareControlDatabase } from '@dualwrite/testing';
import { Pool } from 'pg';
import { eventually, removeTestQueues, startWorkerApp, testDiff, testQueueNames } from '../testing/worker-test-app';
import { DiffBatcher } from './diff-batcher';

const redisUrl = process.env['REDIS_URL'] as string;

describe('diff consumer (dw-diffs)', () => {
  const queues = testQueueNames('diffs');
  const producer = new DiffQueue({ redisUrl, queueName: queues.diffsQueue });
  let pool: Pool;
  let app: INestApplicationContext;

  beforeAll(async () => {
    const controlDatabaseUrl = await prepareControlDatabase('dw_control_worker_diffs');
    pool = new Pool({ connectionString: controlDatabaseUrl, max: 2 });
    app = await startWorkerApp({ controlDatabaseUrl, settings: queues });
  });

  afterAll(async () => {
    await app.close();
    await producer.close();
    await removeTestQueues(queues);
    await pool.end();
  });

  async function storedCount(diffIds: string[]): Promise<number> {
    const { rows } = await pool.query<{ n: string }>('select count(*) as n from dual_write_diffs where diff_id = any($1::uuid[])', [diffIds]);
    return Number(rows[0]?.n);
  }

  it('stores 250 queued diffs exactly once each, in fewer insert statements than diffs', async () => {
    const diffs = Array.from({ length: 250 }, () => testDiff());
    const diffIds = diffs.map((diff) => diff.diffId);
    const batcher = app.get(DiffBatcher);
    const statementsBefore = batcher.batchesStored;

    await Promise.all(diffs.map((diff) => producer.record(diff)));
    await eventually(async () => ((await storedCount(diffIds)) === 250 ? true : undefined));
    await eventually(async () => ((await producer.depth()) === 0 ? true : undefined));

    const { rows } = await pool.query<{ diff_id: string; n: string }>(
      'select diff_id, count(*) as n from dual_write_diffs where diff_id = any($1::uuid[]) group by diff_id',
      [diffIds],
    );
    expect(rows).toHaveLength(250);
    expect(rows.every((row) => row.n === '1')).toBe(true);
    expect(batcher.batchesStored - statementsBefore).toBeLessThan(250);
  });
});

import type { INestApplicationContext } from '@nestjs/common';
import { OperationLedger, bullConnection } from '@dualwrite/dual-write';
import { prepareControlDatabase } from '@dualwrite/testing';
import { Queue } from 'bullmq';
import { Pool } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { removeTestQueues, startWorkerApp, testQueueNames } from '../testing/worker-test-app';
import { LedgerSweepService } from './ledger-sweep.service';

const redisUrl = process.env['REDIS_URL'] as string;

describe('ledger sweep', () => {
  const queues = testQueueNames('sweep');
  // Store B absent: the replay consumer stays off, so swept jobs wait in the queue where the test can see them.
  const noStoreB = { SUPABASE_URL: '', SUPABASE_SERVICE_ROLE_KEY: '' };
  const replayQueue = new Queue(queues.replayQueue, { connection: bullConnection(redisUrl) });
  let pool: Pool;
  let ledger: OperationLedger;
  let app: INestApplicationContext;

  beforeAll(async () => {
    const controlDatabaseUrl = await prepareControlDatabase('dw_control_worker_sweep');
    pool = new Pool({ connectionString: controlDatabaseUrl, max: 2 });
    ledger = new OperationLedger(pool);
    // Operations left owed by earlier runs would be swept too; this suite's database starts without any.
    await pool.query(`update dual_write_ops set status = 'dead' where status = 'secondary_pending'`);
    app = await startWorkerApp({ controlDatabaseUrl, settings: queues, env: noStoreB });
  });

  afterAll(async () => {
    await app.close();
    await replayQueue.close();
    await removeTestQueues(queues);
    await pool.end();
  });

  async function owedOperation(owedForMs: number): Promise<string> {
    const opId = uuidv7();
    await ledger.recordOwed(
      { opId, entity: 'budgets', operation: 'create', entityIds: [uuidv7()], payload: {}, primaryStore: 'prisma', secondaryStore: 'supabase' },
      null,
      new Error('Redis unreachable while queueing the replay'),
    );
    await pool.query(`update dual_write_ops set updated_at = now() - make_interval(secs => $2) where op_id = $1`, [opId, owedForMs / 1000]);
    return opId;
  }

  it('queues an operation owed for over a minute whose job never reached Redis, and leaves a fresh one', async () => {
    const stale = await owedOperation(120_000);
    const fresh = await owedOperation(0);

    const queued = await app.get(LedgerSweepService).sweep();

    expect(queued).toBe(1);
    expect((await replayQueue.getJob(stale))?.data).toEqual({ opId: stale });
    expect(await replayQueue.getJob(fresh)).toBeUndefined();
  });

  it('forgets a process silent for over an hour (it crashed) and keeps one silent for ten minutes', async () => {
    const crashed = `api:host:${uuidv7()}:crashed`;
    const quiet = `api:host:${uuidv7()}:quiet`;
    await pool.query(
      `insert into dual_write_processes (process_id, kind, flag_version, seen_at)
       values ($1, 'api', 1, now() - interval '61 minutes'), ($2, 'api', 1, now() - interval '10 minutes')`,
      [crashed, quiet],
    );

    await app.get(LedgerSweepService).sweep();

    const { rows } = await pool.query<{ process_id: string }>('select process_id from dual_write_processes where process_id = any($1)', [[crashed, quiet]]);
    expect(rows.map((row) => row.process_id)).toEqual([quiet]);
  });
});

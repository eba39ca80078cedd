import type { INestApplicationContext } from '@nestjs/common';
import { DiffRepository, type DiffRecord } from '@dualwrite/dual-write';
import { prepareControlDatabase } from '@dualwrite/testing';
import { Pool } from 'pg';
import { removeTestQueues, startWorkerApp, testDiff, testQueueNames } from '../testing/worker-test-app';
import { DiffCleanupService } from './diff-cleanup.service';

const DAY_MS = 86_400_000;

describe('daily diff cleanup', () => {
  const queues = testQueueNames('cleanup');
  let pool: Pool;
  let app: INestApplicationContext;

  beforeAll(async () => {
    const controlDatabaseUrl = await prepareControlDatabase('dw_control_worker_cleanup');
    pool = new Pool({ connectionString: controlDatabaseUrl, max: 2 });
    app = await startWorkerApp({ controlDatabaseUrl, settings: { ...queues, diffRetentionDays: 30 } });
  });

  afterAll(async () => {
    await app.close();
    await removeTestQueues(queues);
    await pool.end();
  });

  function seenDaysAgo(days: number, severity: DiffRecord['severity']): DiffRecord {
    return testDiff({ severity, seenAt: new Date(Date.now() - days * DAY_MS).toISOString() });
  }

  it('removes info diffs older than DIFF_RETENTION_DAYS and keeps warning, error and recent info diffs', async () => {
    const oldInfo = seenDaysAgo(40, 'info');
    const kept = [seenDaysAgo(40, 'warning'), seenDaysAgo(40, 'error'), seenDaysAgo(10, 'info')];
    await new DiffRepository(pool).insertBatch([oldInfo, ...kept]);

    const removed = await app.get(DiffCleanupService).removeExpiredInfoDiffs();

    const { rows } = await pool.query<{ diff_id: string }>('select diff_id from dual_write_diffs where diff_id = any($1::uuid[])', [
      [oldInfo, ...kept].map((diff) => diff.diffId),
    ]);
    expect(removed).toBeGreaterThanOrEqual(1);
    expect(rows.map((row) => row.diff_id).sort()).toEqual(kept.map((diff) => diff.diffId).sort());
  });
});

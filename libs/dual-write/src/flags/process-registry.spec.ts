import { prepareControlDatabase } from '@dualwrite/testing';
import { Pool } from 'pg';
import { PROCESS_LIVE_WITHIN_MS, ProcessRegistry } from './process-registry';

const HOUR_MS = 60 * 60_000;

describe('ProcessRegistry.forgetSilent: rows of processes that crashed', () => {
  let pool: Pool;
  let registry: ProcessRegistry;

  beforeAll(async () => {
    pool = new Pool({ connectionString: await prepareControlDatabase('dw_control_process_registry_spec'), max: 2 });
    registry = new ProcessRegistry(pool);
  });

  beforeEach(async () => {
    await pool.query('truncate dual_write_processes');
  });

  afterAll(async () => {
    await pool.end();
  });

  async function reportedAgo(processId: string, agoMs: number): Promise<void> {
    await registry.report(processId, 'api', 7);
    await pool.query(`update dual_write_processes set seen_at = now() - make_interval(secs => $2) where process_id = $1`, [processId, agoMs / 1000]);
  }

  async function registered(): Promise<string[]> {
    return (await pool.query<{ process_id: string }>('select process_id from dual_write_processes order by process_id')).rows.map((row) => row.process_id);
  }

  it('drops the processes silent for longer than the window and keeps the others', async () => {
    await reportedAgo('api:host:1:crashed', 2 * HOUR_MS);
    await reportedAgo('worker:host:2:crashed', HOUR_MS + 1_000);
    await reportedAgo('api:host:3:quiet', HOUR_MS - 60_000);
    await reportedAgo('api:host:4:live', 0);

    expect(await registry.forgetSilent(HOUR_MS)).toEqual(['api:host:1:crashed', 'worker:host:2:crashed']);
    expect(await registered()).toEqual(['api:host:3:quiet', 'api:host:4:live']);
  });

  it('a forgotten process that was only paused is back with its next report', async () => {
    await reportedAgo('api:host:5:paused', 2 * HOUR_MS);
    await registry.forgetSilent(HOUR_MS);
    await registry.report('api:host:5:paused', 'api', 8);

    expect(await registered()).toEqual(['api:host:5:paused']);
  });

  it('refuses a window shorter than the liveness window or not a whole number, forgetting nothing', async () => {
    await reportedAgo('api:host:6:live', 1_000);
    await expect(registry.forgetSilent(PROCESS_LIVE_WITHIN_MS - 1)).rejects.toThrow(`silentForMs must be a whole number of milliseconds of at least ${PROCESS_LIVE_WITHIN_MS}, got 4999`);
    await expect(registry.forgetSilent(1.5 * HOUR_MS + 0.5)).rejects.toThrow(RangeError);
    expect(await registered()).toEqual(['api:host:6:live']);
  });
});

import type { DemoApi } from './api-client';
import { waitFor } from './app-processes';

interface JobView {
  state: string;
  progress: { percent: number } | null;
  result: Record<string, unknown> | null;
  failedReason: string | null;
}

async function finishedJob(api: DemoApi, jobId: string, what: string): Promise<Record<string, unknown>> {
  const job = await waitFor(
    `${what} job finished`,
    async () => {
      const view = (await api.expect('GET', `/admin/backups/jobs/${jobId}`, 200)).body as unknown as JobView;
      return view.state === 'completed' || view.state === 'failed' ? view : undefined;
    },
    120_000,
  );
  if (job.state !== 'completed') throw new Error(`${what} failed: ${job.failedReason ?? 'no reason given'}`);
  return job.result ?? {};
}

/**
 * The demo's backup step, through the admin API and the worker: a full backup of store A (queued, with progress),
 * validated, then drilled (restored into a scratch database, every table's checksum compared), then deleted again
 * so the demo leaves the machine as it found it.
 */
export async function demoBackupStep(api: { operator: DemoApi; admin: DemoApi }, say: (line: string) => void): Promise<void> {
  say('backup of store A: queued through POST /admin/backups, taken by the worker');
  const created = (await api.operator.expect('POST', '/admin/backups', 202, { store: 'a', kind: 'full' })).body as { jobId: string };
  const backup = await finishedJob(api.operator, created.jobId, 'backup');
  const id = String(backup['id']);
  say(`  ${id}: ${String(backup['totalRows'])} rows, ${String(backup['totalBytes'])} bytes compressed, ${String(backup['durationMs'])} ms`);
  const validation = (await api.operator.expect('POST', `/admin/backups/${id}/validate`, 200)).body as { ok: boolean; filesChecked: number; rowsChecked: number };
  if (!validation.ok) throw new Error(`backup ${id} did not validate: ${JSON.stringify(validation)}`);
  say(`  validated: ${validation.filesChecked} files re-hashed, ${validation.rowsChecked} rows counted`);
  const drillJob = (await api.operator.expect('POST', `/admin/backups/${id}/drill`, 202)).body as { jobId: string };
  const drill = await finishedJob(api.operator, drillJob.jobId, 'drill');
  if (drill['ok'] !== true) throw new Error(`the drill of ${id} failed: ${String(drill['failure'])}`);
  say(`  drill: restored into a scratch database in ${String(drill['restoreMs'])} ms, every table's checksum matches the manifest`);
  await api.admin.expect('DELETE', `/admin/backups/${id}`, 200, { confirm: id });
}

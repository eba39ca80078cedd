import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ReconcileRunResult } from './reconcile.types';

export const REPORT_FORMAT = 'dualwrite.reconcile-report/1';

/** The report file's name for a run that started at `startedAt` (its UTC date): reconcile-report-YYYY-MM-DD.json. */
export function reportFileName(startedAt: string): string {
  const date = new Date(startedAt);
  if (Number.isNaN(date.getTime())) throw new Error(`A run's start "${startedAt}" is not a timestamp.`);
  return `reconcile-report-${date.toISOString().slice(0, 10)}.json`;
}

/** The report's content: per entity counts, missing ids both ways, differing fields with both values, severity, duration. */
export function buildReport(run: ReconcileRunResult) {
  return {
    format: REPORT_FORMAT,
    runId: run.runId,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    durationMs: run.durationMs,
    totals: run.totals,
    entities: run.entities.map((entity) => ({
      entity: entity.entity,
      primaryStore: entity.primaryStore,
      secondaryStore: entity.secondaryStore,
      counts: entity.counts,
      missingInSecondary: entity.missingInSecondary,
      missingInPrimary: entity.missingInPrimary,
      differingFields: entity.differingFields.map((finding) => ({
        key: finding.key,
        field: finding.field,
        kind: finding.kind,
        primary: finding.primary,
        secondary: finding.secondary,
        severity: finding.severity,
        ledger: finding.ledger,
      })),
      severity: entity.severity,
      durationMs: entity.durationMs,
      work: entity.work,
      ...(entity.error !== undefined ? { error: entity.error } : {}),
    })),
  };
}

/**
 * Writes the report into `directory` (which must exist); returns the file's path. Written under a temporary name
 * and renamed into place, so a reader never sees half a report (a second run the same day replaces the first).
 */
export async function writeReconcileReport(run: ReconcileRunResult, directory: string): Promise<string> {
  const file = path.join(directory, reportFileName(run.startedAt));
  const partial = `${file}.${run.runId}.partial`;
  await writeFile(partial, `${JSON.stringify(buildReport(run), null, 2)}\n`, { encoding: 'utf8', flag: 'wx' });
  await rename(partial, file);
  return file;
}

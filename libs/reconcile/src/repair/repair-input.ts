import { readFile } from 'node:fs/promises';
import type { Pool } from 'pg';
import { z } from 'zod';
import { REPORT_FORMAT } from '../report-writer';
import type { RecordedDifference, RecordedEntity, RepairInput } from './repair.types';

/** A report or run a repair refuses to start from: names what is wrong; nothing has been applied. */
export class RepairInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RepairInputError';
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const KINDS = ['changed', 'missing_in_secondary', 'missing_in_primary', 'type'] as const;

const timestamp = z.string().refine((text) => !Number.isNaN(Date.parse(text)), 'not a timestamp');
const reportSchema = z.object({
  format: z.literal(REPORT_FORMAT),
  runId: z.string().regex(UUID, 'not a uuid'),
  startedAt: timestamp,
  finishedAt: timestamp,
  entities: z.array(
    z.object({
      entity: z.string().min(1),
      primaryStore: z.string().min(1),
      secondaryStore: z.string().min(1),
      missingInSecondary: z.array(z.string().min(1)),
      missingInPrimary: z.array(z.string().min(1)),
      differingFields: z.array(
        z.object({ key: z.string().min(1), field: z.string().min(1), kind: z.enum(KINDS), primary: z.unknown(), secondary: z.unknown() }),
      ),
      error: z.string().optional(),
    }),
  ),
});

/** Reads a reconcile report (`reconcile-report-YYYY-MM-DD.json`, written by reconcile-data --report). */
export async function readReportFile(file: string): Promise<RepairInput> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new RepairInputError(`cannot read the report ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return parseReport(text, file);
}

/** The report's text as a repair's input; every problem is named with its place in the file. */
export function parseReport(text: string, file: string): RepairInput {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new RepairInputError(`${file} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const format = typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>)['format'] : undefined;
  if (format !== REPORT_FORMAT) {
    const found = format === undefined ? 'no "format" field' : `format ${JSON.stringify(format)}`;
    throw new RepairInputError(`${file} is not a reconcile report: ${found}, expected "${REPORT_FORMAT}" (written by reconcile-data --report)`);
  }
  const parsed = reportSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 10).map((issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`);
    throw new RepairInputError(`${file} is a malformed reconcile report: ${problems.join('; ')}`);
  }
  const report = parsed.data;
  const entities = report.entities.map((entity): RecordedEntity => {
    const keys = new Map<string, RecordedDifference[]>();
    const add = (key: string, difference: RecordedDifference) => keys.set(key, [...(keys.get(key) ?? []), difference]);
    for (const key of entity.missingInSecondary) add(key, { kind: 'missing_in_secondary' });
    for (const key of entity.missingInPrimary) add(key, { kind: 'missing_in_primary' });
    for (const difference of entity.differingFields) {
      add(difference.key, { kind: difference.kind, field: difference.field, values: { primary: difference.primary ?? null, secondary: difference.secondary ?? null } });
    }
    return { entity: entity.entity, primaryStore: entity.primaryStore, secondaryStore: entity.secondaryStore, keys, ...(entity.error !== undefined ? { error: entity.error } : {}) };
  });
  return { origin: { kind: 'file', path: file }, runId: report.runId, startedAt: report.startedAt, finishedAt: report.finishedAt, entities };
}

interface StoredSummary {
  entities?: { entity?: unknown; primaryStore?: unknown; secondaryStore?: unknown; error?: unknown }[];
}

/** Reads a stored run (reconcile_runs, reconcile_findings): its findings carry both sides' values, whole rows included. */
export async function readReconcileRun(control: Pool, runId: string): Promise<RepairInput> {
  if (!UUID.test(runId)) throw new RepairInputError(`run id "${runId}" is not a uuid`);
  const { rows: runs } = await control.query<{ status: string; started_at: Date; finished_at: Date | null; summary: StoredSummary }>(
    'select status, started_at, finished_at, summary from reconcile_runs where run_id = $1',
    [runId],
  );
  const run = runs[0];
  if (!run) throw new RepairInputError(`no reconcile run ${runId} in reconcile_runs`);
  if (run.status === 'running' || !run.finished_at) throw new RepairInputError(`reconcile run ${runId} has not finished (status ${run.status})`);
  const entities = new Map<string, RecordedEntity>();
  for (const summary of run.summary.entities ?? []) {
    if (typeof summary.entity !== 'string' || typeof summary.primaryStore !== 'string' || typeof summary.secondaryStore !== 'string') {
      throw new RepairInputError(`reconcile run ${runId}: its summary has an entity without a name or stores`);
    }
    entities.set(summary.entity, {
      entity: summary.entity,
      primaryStore: summary.primaryStore,
      secondaryStore: summary.secondaryStore,
      keys: new Map(),
      ...(typeof summary.error === 'string' ? { error: summary.error } : {}),
    });
  }
  const { rows: findings } = await control.query<{ entity: string; entity_id: string; kind: RecordedDifference['kind']; field: string | null; primary_value: unknown; secondary_value: unknown }>(
    'select entity, entity_id, kind, field, primary_value, secondary_value from reconcile_findings where run_id = $1 order by id',
    [runId],
  );
  for (const finding of findings) {
    const entity = entities.get(finding.entity);
    if (!entity) throw new RepairInputError(`reconcile run ${runId}: a finding of ${finding.entity}, an entity its summary does not name`);
    const difference: RecordedDifference = {
      kind: finding.kind,
      ...(finding.field !== null ? { field: finding.field } : {}),
      values: { primary: finding.primary_value ?? null, secondary: finding.secondary_value ?? null },
    };
    entity.keys.set(finding.entity_id, [...(entity.keys.get(finding.entity_id) ?? []), difference]);
  }
  return { origin: { kind: 'run' }, runId, startedAt: run.started_at.toISOString(), finishedAt: run.finished_at.toISOString(), entities: [...entities.values()] };
}

import { keysOverlapSql, type OperationLedger } from '@dualwrite/dual-write';
import { compareResults, type EntityDefinition, type FieldDifference, type Row, type StorePlugin } from '@dualwrite/stores';
import type { Pool } from 'pg';
import { keyFromText, keyText } from '../key-order';
import { UNSETTLED_STATUSES } from '../ledger-activity';
import { decideRepair, type KeyState, type WriteSinceReport } from './repair-decision';
import type { PlannedKeyAction, RecordedDifference } from './repair.types';

/** The two stores of a key's comparison: as the reconcile run saw them, and as the flags have them now. */
export interface AssessmentSides {
  report: { primary: StorePlugin; secondary: StorePlugin };
  current: { primary: StorePlugin; secondary: StorePlugin };
}

/**
 * Reads what a repair's decision rests on for a batch of keys, writing nothing: both stores' rows now, the ledger's
 * operations on the keys after the run finished (or still unsettled), and the ledger's delete proof where the
 * primary lacks a row the secondary holds; then decides each key (decideRepair).
 */
export class KeyAssessment {
  constructor(
    private readonly control: Pool,
    private readonly ledger: OperationLedger,
    private readonly ignoreFields: readonly string[] = [],
  ) {}

  async assess(entity: EntityDefinition, recorded: ReadonlyMap<string, RecordedDifference[]>, sides: AssessmentSides, reportFinishedAt: string): Promise<PlannedKeyAction[]> {
    const keys = [...recorded.keys()];
    if (keys.length === 0) return [];
    const ids = keys.map((text) => keyFromText(entity, text));
    const { primary, secondary } = sides.current;
    const [primaryRows, secondaryRows] = await Promise.all([primary.findManyByIds(entity, ids), secondary.findManyByIds(entity, ids)]);
    const rowsOf = (store: StorePlugin) => (store === primary ? primaryRows : secondaryRows);
    const options = { ignoreFields: this.ignoreFields };
    const asReported = differencesByKey(entity, compareResults(entity, rowsOf(sides.report.primary), rowsOf(sides.report.secondary), options).differences);
    const now = differencesByKey(entity, compareResults(entity, primaryRows, secondaryRows, options).differences);
    const onPrimary = keySet(entity, primaryRows);
    const onSecondary = keySet(entity, secondaryRows);
    const written = await this.writesSince(entity.name, keys, reportFinishedAt);

    const actions: PlannedKeyAction[] = [];
    for (const key of keys) {
      const differingNow = (now.get(key) ?? []).map((difference) => difference.field ?? 'row');
      const primaryHasRow = onPrimary.has(key);
      const secondaryHasRow = onSecondary.has(key);
      const needsProof = differingNow.length > 0 && !primaryHasRow && secondaryHasRow;
      const state: KeyState = {
        entity: entity.name,
        key,
        primaryStore: primary.name,
        secondaryStore: secondary.name,
        differingNow,
        primaryHasRow,
        secondaryHasRow,
        changedSinceReport: changeSinceReport(recorded.get(key) ?? [], asReported.get(key) ?? [], sides.report),
        writtenSinceReport: written.get(key) ?? null,
        deleteProof: needsProof ? await this.ledger.deleteProven(entity.name, key) : null,
      };
      actions.push(decideRepair(state));
    }
    return actions;
  }

  /** The newest operation per key claimed or moved after `since`, or still unsettled. */
  private async writesSince(entity: string, keys: readonly string[], since: string): Promise<Map<string, WriteSinceReport>> {
    const { rows } = await this.control.query<{ key: string; op_id: string; operation: string; status: string; at: Date }>(
      `select distinct on (key) key, op_id, operation, status, greatest(created_at, updated_at) as at
         from dual_write_ops, unnest(entity_ids) as key
        where entity = $1 and ${keysOverlapSql('$2::text[]')} and key = any($2::text[])
          and (created_at > $3 or updated_at > $3 or status = any($4))
        order by key, seq desc`,
      [entity, keys, since, UNSETTLED_STATUSES],
    );
    return new Map(rows.map((row) => [row.key, { opId: row.op_id, operation: row.operation, status: row.status, at: row.at.toISOString() }]));
  }
}

/** Key text → the differences of that key. */
export function differencesByKey(entity: EntityDefinition, differences: readonly FieldDifference[]): Map<string, FieldDifference[]> {
  const byKey = new Map<string, FieldDifference[]>();
  for (const difference of differences) {
    if (difference.key === undefined) continue;
    const key = keyText(entity, difference.key);
    byKey.set(key, [...(byKey.get(key) ?? []), difference]);
  }
  return byKey;
}

function keySet(entity: EntityDefinition, rows: readonly Row[]): Set<string> {
  return new Set(
    rows.flatMap((row) => {
      const key = row[entity.primaryKey] ?? row[entity.fields[entity.primaryKey]?.column ?? entity.primaryKey];
      return typeof key === 'string' || typeof key === 'number' ? [keyText(entity, key)] : [];
    }),
  );
}

/**
 * Null when the key's differences now (oriented as the run saw the stores) are the ones recorded: the same kinds and
 * fields, and the same values wherever the report recorded values (a report file lists only the keys of missing
 * rows). Otherwise a line saying what was recorded and what is there now.
 */
export function changeSinceReport(recorded: readonly RecordedDifference[], now: readonly FieldDifference[], stores: { primary: StorePlugin; secondary: StorePlugin }): string | null {
  const slot = (difference: { kind: string; field?: string }) => `${difference.kind}|${difference.field ?? ''}`;
  const current = new Map(now.map((difference) => [slot(difference), difference]));
  const same =
    recorded.length === now.length &&
    recorded.every((difference) => {
      const match = current.get(slot(difference));
      if (!match) return false;
      if (!difference.values) return true;
      return stableJson(difference.values.primary) === stableJson(match.primary) && stableJson(difference.values.secondary) === stableJson(match.secondary);
    });
  if (same) return null;
  const describe = (difference: { kind: string; field?: string; primary?: unknown; secondary?: unknown }, values: boolean) => {
    const what = difference.field ?? 'row';
    if (!values) return `${what} ${difference.kind}`;
    return `${what} ${difference.kind} (${stores.primary.name} ${short(difference.primary)}, ${stores.secondary.name} ${short(difference.secondary)})`;
  };
  const recordedText = recorded.map((difference) => describe({ ...difference, ...difference.values }, difference.values !== undefined)).join('; ');
  const nowText = now.length === 0 ? 'equal' : now.map((difference) => describe(difference, true)).join('; ');
  return `the rows changed since the report: recorded ${recordedText || 'nothing'}; now ${nowText}`;
}

/** JSON with object keys sorted at every depth (jsonb does not keep key order). */
export function stableJson(value: unknown): string {
  return JSON.stringify(sortKeys(JSON.parse(JSON.stringify(value ?? null)) as unknown));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

function short(value: unknown): string {
  const text = JSON.stringify(value ?? null);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

import type { EntityDefinition, FieldType } from '@dualwrite/stores';
import type { FieldDifference } from '@dualwrite/stores';

export type DiffSeverity = 'info' | 'warning' | 'error';

export interface DiffSeverityRules {
  /** Fields whose differences are errors, on top of the primary key and the owner field. */
  errorFields?: readonly string[];
  /** Field types whose differences are errors (default `['decimal']`: amounts, balances, prices). */
  errorFieldTypes?: readonly FieldType[];
  /** Fields whose differences are never more than info (housekeeping columns). Default none. */
  infoFields?: readonly string[];
  /** Timestamp drift below this many milliseconds is info (default 1000: each store's own clock). */
  timestampToleranceMs?: number;
}

export const DEFAULT_DIFF_SEVERITY_RULES: Required<DiffSeverityRules> = {
  errorFields: [],
  errorFieldTypes: ['decimal'],
  infoFields: [],
  timestampToleranceMs: 1000,
};

/**
 * The severity of a comparison's differences is that of its worst difference:
 *
 * error   — a row one side has and the other lacks (a lost or orphaned write);
 *           a value of the wrong type (schema or mapping drift);
 *           any difference in the primary key, the owner field (row-level security), a field in
 *           `errorFields`, or a field whose type is in `errorFieldTypes` (money by default).
 * info    — a timestamp that drifted less than `timestampToleranceMs`; any difference in `infoFields`.
 * warning — every other difference: business values that disagree, a field only one side returned.
 *
 * No differences at all is `info`.
 */
export function classifyDiffSeverity(
  differences: readonly FieldDifference[],
  entity: EntityDefinition,
  rules: DiffSeverityRules = {},
): DiffSeverity {
  const settings = { ...DEFAULT_DIFF_SEVERITY_RULES, ...rules };
  let worst: DiffSeverity = 'info';
  for (const difference of differences) {
    const severity = severityOf(difference, entity, settings);
    if (severity === 'error') return 'error';
    if (severity === 'warning') worst = 'warning';
  }
  return worst;
}

function severityOf(difference: FieldDifference, entity: EntityDefinition, rules: Required<DiffSeverityRules>): DiffSeverity {
  const { field } = difference;
  if (field === undefined || difference.kind === 'type') return 'error';
  const definition = entity.fields[field];
  if (
    field === entity.primaryKey ||
    field === entity.ownerField ||
    rules.errorFields.includes(field) ||
    (definition !== undefined && rules.errorFieldTypes.includes(definition.type))
  ) {
    return 'error';
  }
  if (rules.infoFields.includes(field)) return 'info';
  if (definition?.type === 'timestamp' && timestampDrift(difference) < rules.timestampToleranceMs) return 'info';
  return 'warning';
}

/** Milliseconds between the two sides' timestamps; Infinity when either side has none. */
function timestampDrift(difference: FieldDifference): number {
  if (typeof difference.primary !== 'string' || typeof difference.secondary !== 'string') return Infinity;
  const drift = Math.abs(Date.parse(difference.primary) - Date.parse(difference.secondary));
  return Number.isNaN(drift) ? Infinity : drift;
}

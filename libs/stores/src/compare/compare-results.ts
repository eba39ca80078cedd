import type { EntityDefinition, Row, RowKey } from '../entity/entity.types';
import { canonicalFieldText } from '../store/canonical-row';
import type { ComparableResult, CompareOptions, Comparison, FieldDifference } from './comparison.types';
import { normaliseField, normaliseRow, readField, reportedValue, type NormalisedField } from './normalise-field';

/**
 * Compares what the primary and the secondary returned for one entity, after normalising both
 * (see normalise-field.ts). A list on either side (findMany) is matched row by row on the primary key;
 * a single row or `null` against a list is treated as a list of one or none.
 */
export function compareResults(
  entity: EntityDefinition,
  primary: ComparableResult,
  secondary: ComparableResult,
  options: CompareOptions = {},
): Comparison {
  const context = comparisonContext(entity, options);
  const differences =
    Array.isArray(primary) || Array.isArray(secondary)
      ? compareRowLists(context, asRowList(primary), asRowList(secondary))
      : compareRows(context, '$', asSingleRow(primary), asSingleRow(secondary));
  return { equal: differences.length === 0, differences };
}

interface ComparisonContext {
  entity: EntityDefinition;
  /** Domain fields compared, in the entity's order. */
  fields: string[];
  nullEqualsMissing: boolean;
}

function comparisonContext(entity: EntityDefinition, options: CompareOptions): ComparisonContext {
  const ignored = new Set([...(entity.ignoreInComparison ?? []), ...(options.ignoreFields ?? [])]);
  return {
    entity,
    fields: Object.keys(entity.fields).filter((field) => !ignored.has(field)),
    nullEqualsMissing: options.nullEqualsMissing ?? true,
  };
}

function asSingleRow(result: ComparableResult): Row | null {
  return result && !Array.isArray(result) ? (result as Row) : null;
}

function asRowList(result: ComparableResult): readonly Row[] {
  if (Array.isArray(result)) return result as readonly Row[];
  return result ? [result as Row] : [];
}

function compareRows(context: ComparisonContext, rowPath: string, primary: Row | null, secondary: Row | null): FieldDifference[] {
  const { entity, fields } = context;
  if (primary === null && secondary === null) return [];
  if (primary === null || secondary === null) {
    const present = (primary ?? secondary) as Row;
    return [
      withKey(
        {
          path: rowPath,
          kind: primary === null ? 'missing_in_primary' : 'missing_in_secondary',
          primary: primary === null ? null : normaliseRow(entity.fields, primary, fields),
          secondary: secondary === null ? null : normaliseRow(entity.fields, secondary, fields),
        },
        keyOf(entity, present),
      ),
    ];
  }
  const key = keyOf(entity, primary) ?? keyOf(entity, secondary);
  const differences: FieldDifference[] = [];
  for (const field of fields) {
    const difference = compareField(context, field, primary, secondary);
    if (difference) differences.push(withKey({ path: `${rowPath}.${field}`, field, ...difference }, key));
  }
  return differences;
}

function compareField(
  context: ComparisonContext,
  field: string,
  primaryRow: Row,
  secondaryRow: Row,
): Pick<FieldDifference, 'kind' | 'primary' | 'secondary'> | undefined {
  const definition = context.entity.fields[field];
  const primary = normaliseField(field, definition, primaryRow, context.nullEqualsMissing);
  const secondary = normaliseField(field, definition, secondaryRow, context.nullEqualsMissing);
  if (primary.state === 'missing' && secondary.state === 'missing') return undefined;
  if (primary.state === 'value' && secondary.state === 'value' && primary.text === secondary.text) return undefined;
  const report = (side: NormalisedField) => reportedValue(field, definition, side);
  if (primary.state === 'invalid' || secondary.state === 'invalid') return { kind: 'type', primary: report(primary), secondary: report(secondary) };
  if (primary.state === 'missing') return { kind: 'missing_in_primary', primary: null, secondary: report(secondary) };
  if (secondary.state === 'missing') return { kind: 'missing_in_secondary', primary: report(primary), secondary: null };
  return { kind: 'changed', primary: report(primary), secondary: report(secondary) };
}

/** Rows of both lists matched by primary key; primary's order first, then rows only the secondary has. */
function compareRowLists(context: ComparisonContext, primary: readonly Row[], secondary: readonly Row[]): FieldDifference[] {
  const primaryByKey = indexByKey(context.entity, primary);
  const secondaryByKey = indexByKey(context.entity, secondary);
  const matchKeys = [...primaryByKey.keys(), ...[...secondaryByKey.keys()].filter((key) => !primaryByKey.has(key))];
  return matchKeys.flatMap((matchKey) =>
    compareRows(context, `$[${matchKey}]`, primaryByKey.get(matchKey) ?? null, secondaryByKey.get(matchKey) ?? null),
  );
}

/**
 * Rows keyed by the canonical text of their primary key (so 'ABC…' and 'abc…', or '42' and 42, match).
 * A row without a key, or a second row with the same key, gets `#<position>` so it is never dropped.
 */
function indexByKey(entity: EntityDefinition, rows: readonly Row[]): Map<string, Row> {
  const byKey = new Map<string, Row>();
  rows.forEach((row, position) => {
    const key = matchKeyOf(entity, row);
    byKey.set(key !== undefined && !byKey.has(key) ? key : `#${position}`, row);
  });
  return byKey;
}

function matchKeyOf(entity: EntityDefinition, row: Row): string | undefined {
  const definition = entity.fields[entity.primaryKey];
  const { present, raw } = readField(row, entity.primaryKey, definition);
  if (!present || raw === null) return undefined;
  try {
    return canonicalFieldText(entity.primaryKey, definition.type, raw);
  } catch {
    return undefined;
  }
}

function keyOf(entity: EntityDefinition, row: Row): RowKey | undefined {
  const definition = entity.fields[entity.primaryKey];
  const { raw } = readField(row, entity.primaryKey, definition);
  return typeof raw === 'string' || typeof raw === 'number' ? raw : undefined;
}

function withKey(difference: FieldDifference, key: RowKey | undefined): FieldDifference {
  return key === undefined ? difference : { ...difference, key };
}

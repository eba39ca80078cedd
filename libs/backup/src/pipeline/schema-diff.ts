import type { SchemaCatalog, TableCatalog } from './schema-catalog';

export type SchemaDifferenceKind =
  | 'missing_table'
  | 'unexpected_table'
  | 'missing_column'
  | 'unexpected_column'
  | 'column_changed'
  | 'missing_index'
  | 'unexpected_index'
  | 'index_changed'
  | 'missing_constraint'
  | 'unexpected_constraint'
  | 'constraint_changed'
  | 'rls_changed'
  | 'missing_policy'
  | 'unexpected_policy'
  | 'policy_changed';

/** One way the database differs from what it should be; `expected`/`actual` are catalog text (types, definitions). */
export interface SchemaDifference {
  kind: SchemaDifferenceKind;
  table: string;
  /** The column, index, constraint or policy; absent for a table-level difference. */
  name?: string;
  expected?: string;
  actual?: string;
}

export interface SchemaComparison {
  differences: SchemaDifference[];
  /** Tables in the database that the expected schema does not describe (other tools' tables): listed, not drift. */
  unmanagedTables: string[];
}

/**
 * Compares the catalog a database should have (built from its migrations or its schema file) with the one it has.
 * Only the expected tables are compared part by part; tables the expectation does not know are reported apart,
 * because a database may legitimately hold tables another tool manages (the platform's control tables).
 */
export function compareCatalogs(expected: SchemaCatalog, actual: SchemaCatalog): SchemaComparison {
  const differences: SchemaDifference[] = [];
  for (const [table, want] of Object.entries(expected)) {
    const have = actual[table];
    if (!have) {
      differences.push({ kind: 'missing_table', table });
      continue;
    }
    differences.push(...compareTables(table, want, have));
  }
  const unmanagedTables = Object.keys(actual).filter((table) => !(table in expected)).sort();
  return { differences, unmanagedTables };
}

function compareTables(table: string, want: TableCatalog, have: TableCatalog): SchemaDifference[] {
  const differences: SchemaDifference[] = [];
  const columnText = (column: TableCatalog['columns'][string]) =>
    `${column.type}${column.nullable ? '' : ' not null'}${column.default === null ? '' : ` default ${column.default}`}`;
  differences.push(
    ...compareParts(table, want.columns, have.columns, columnText, ['missing_column', 'unexpected_column', 'column_changed']),
    ...compareParts(table, want.indexes, have.indexes, String, ['missing_index', 'unexpected_index', 'index_changed']),
    ...compareParts(table, want.constraints, have.constraints, String, ['missing_constraint', 'unexpected_constraint', 'constraint_changed']),
  );
  if (want.rlsEnabled !== have.rlsEnabled) {
    differences.push({ kind: 'rls_changed', table, expected: rlsText(want.rlsEnabled), actual: rlsText(have.rlsEnabled) });
  }
  const policyText = (policy: TableCatalog['policies'][string]) =>
    `for ${policy.command} to ${policy.roles.join(', ')} using (${policy.using ?? ''}) with check (${policy.check ?? ''})`;
  differences.push(...compareParts(table, want.policies, have.policies, policyText, ['missing_policy', 'unexpected_policy', 'policy_changed']));
  return differences;
}

function compareParts<T>(
  table: string,
  want: Record<string, T>,
  have: Record<string, T>,
  text: (part: T) => string,
  [missing, unexpected, changed]: [SchemaDifferenceKind, SchemaDifferenceKind, SchemaDifferenceKind],
): SchemaDifference[] {
  const differences: SchemaDifference[] = [];
  for (const [name, part] of Object.entries(want)) {
    if (!(name in have)) differences.push({ kind: missing, table, name, expected: text(part) });
    else if (text(part) !== text(have[name])) differences.push({ kind: changed, table, name, expected: text(part), actual: text(have[name]) });
  }
  for (const [name, part] of Object.entries(have)) {
    if (!(name in want)) differences.push({ kind: unexpected, table, name, actual: text(part) });
  }
  return differences;
}

const rlsText = (enabled: boolean) => (enabled ? 'row level security on' : 'row level security off');

/** One line per difference, for CLI output and error messages. */
export function describeDifference(difference: SchemaDifference): string {
  const what = difference.name ? `${difference.table}.${difference.name}` : difference.table;
  const detail = [
    difference.expected === undefined ? '' : `expected ${difference.expected}`,
    difference.actual === undefined ? '' : `found ${difference.actual}`,
  ]
    .filter(Boolean)
    .join(', ');
  return `${difference.kind.replace(/_/g, ' ')}: ${what}${detail ? ` (${detail})` : ''}`;
}

import type { RowKey } from '../entity/entity.types';

/**
 * Where a difference sits and what it is:
 * - `changed`: both sides hold a value of the field's type and the values differ;
 * - `missing_in_secondary` / `missing_in_primary`: a row (no `field`) or, when null and missing are
 *   told apart, a field that only one side returned;
 * - `type`: a side returned a value the field's type cannot hold (schema drift, a wrong mapping).
 */
export type DifferenceKind = 'changed' | 'missing_in_secondary' | 'missing_in_primary' | 'type';

export interface FieldDifference {
  /** `$` is the compared result: `$.amount`, `$[<key>]` (a row of a list), `$[<key>].amount`. */
  path: string;
  kind: DifferenceKind;
  /**
   * Normalised values: timestamps as ISO text, decimals as plain text, json with sorted keys,
   * a whole row for a missing row, `null` for an absent side; the raw value when it is of the wrong type.
   */
  primary: unknown;
  secondary: unknown;
  /** Primary key of the row the difference belongs to, when the row has one. */
  key?: RowKey;
  /** Domain field name; absent when a whole row is missing. */
  field?: string;
}

export interface Comparison {
  equal: boolean;
  differences: FieldDifference[];
}

export interface CompareOptions {
  /** Fields left out of this comparison, on top of the entity's `ignoreInComparison`. */
  ignoreFields?: readonly string[];
  /**
   * Whether a field one side left out equals the other side's `null` (default true: stores and
   * drivers disagree about omitting nulls). When false, an omitted field is a `missing_in_*` difference.
   */
  nullEqualsMissing?: boolean;
}

/** What a read or write returned: one row, no row (absent), or rows (findMany). */
export type ComparableResult = Record<string, unknown> | readonly Record<string, unknown>[] | null | undefined;

import type { FieldDefinition, Row } from '../entity/entity.types';
import { canonicalFieldText, CANONICAL_NULL, jsonbText, toCanonicalValue } from '../store/canonical-row';

/**
 * One field of one side, normalised for comparison through the same canonical form the range
 * checksums hash, so "equal here" and "equal in a reconcile run" never disagree.
 */
export type NormalisedField =
  /** `text` is the canonical field text (compared); `value` is what a report shows. */
  | { state: 'value'; text: string; value: unknown }
  | { state: 'missing' }
  /** The field's type cannot hold the raw value. */
  | { state: 'invalid'; raw: unknown };

/**
 * Reads a field by its domain name, or by its column name when the row came straight from SQL
 * or PostgREST. Keys that are neither are not the entity's and are never looked at.
 */
export function readField(row: Row, field: string, definition: FieldDefinition): { present: boolean; raw: unknown } {
  if (row[field] !== undefined) return { present: true, raw: row[field] };
  if (row[definition.column] !== undefined) return { present: true, raw: row[definition.column] };
  return { present: false, raw: undefined };
}

export function normaliseField(field: string, definition: FieldDefinition, row: Row, nullEqualsMissing: boolean): NormalisedField {
  const { present, raw } = readField(row, field, definition);
  if (!present && !nullEqualsMissing) return { state: 'missing' };
  try {
    const text = canonicalFieldText(field, definition.type, raw);
    return { state: 'value', text, value: text === CANONICAL_NULL ? null : displayValue(field, definition, raw) };
  } catch {
    // CanonicalValueError, or a json string that does not parse.
    return { state: 'invalid', raw };
  }
}

/** The normalised value as a report shows it (JSON-serialisable, stable). */
function displayValue(field: string, definition: FieldDefinition, raw: unknown): unknown {
  const canonical = toCanonicalValue(field, definition.type, raw);
  switch (definition.type) {
    case 'timestamp':
      return (canonical as Date).toISOString();
    case 'json':
      // jsonb text has its keys sorted (deep); parsing it back keeps that order.
      return JSON.parse(jsonbText(canonical)) as unknown;
    default:
      return canonical;
  }
}

/** A whole row in normalised form (domain fields only), for a row one side lacks. */
export function normaliseRow(fields: Record<string, FieldDefinition>, row: Row, comparedFields: readonly string[]): Row {
  const normalised: Row = {};
  for (const field of comparedFields) {
    const value = normaliseField(field, fields[field], row, true);
    normalised[field] = value.state === 'value' ? value.value : value.state === 'invalid' ? value.raw : null;
  }
  return normalised;
}

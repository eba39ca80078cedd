import type { FieldDefinition, Row } from '../entity/entity.types';
import { canonicalFieldText, CANONICAL_NULL, jsonbText, toCanonicalValue } from '../store/canonical-row';

/**
 * One field of one side, normalised for comparison through the same canonical form the range
 * checksums hash, so "equal here" and "equal in a reconcile run" never disagree.
 */
export type NormalisedField =
  /** `text` is the canonical field text (compared); `raw` as read, for `reportedValue` when the texts differ. */
  | { state: 'value'; text: string; raw: unknown }
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
    return { state: 'value', text: canonicalFieldText(field, definition.type, raw), raw };
  } catch {
    // CanonicalValueError, or a json string that does not parse.
    return { state: 'invalid', raw };
  }
}

/**
 * What a report shows of one normalised side: the canonical value (JSON-serialisable, stable), the raw value the
 * field's type cannot hold, or null. Only differing fields are reported, so only they pay for it.
 */
export function reportedValue(field: string, definition: FieldDefinition, normalised: NormalisedField): unknown {
  if (normalised.state === 'invalid') return normalised.raw;
  if (normalised.state === 'missing' || normalised.text === CANONICAL_NULL) return null;
  // The raw value already gave its canonical text, so it converts again without error.
  return displayValue(field, definition, normalised.raw);
}

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
  for (const field of comparedFields) normalised[field] = reportedValue(field, fields[field], normaliseField(field, fields[field], row, true));
  return normalised;
}

import type { EntityDefinition, RowKey } from '@dualwrite/stores';
import { keyTypeOf } from '../key-order';

/** A key that cannot be one of the entity's keys (by its key field's type). */
export class InvalidEntityKeyError extends Error {
  constructor(
    readonly entity: string,
    readonly text: string,
    expected: string,
  ) {
    super(`"${text}" is not a ${entity} key: expected ${expected}`);
    this.name = 'InvalidEntityKeyError';
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_TEXT_KEY = 1_000;

/** Reads a key given as text (a URL segment, a flag) as the entity's key type; InvalidEntityKeyError otherwise. */
export function parseEntityKey(entity: EntityDefinition, text: string): RowKey {
  const type = keyTypeOf(entity);
  if (type === 'uuid') {
    if (!UUID.test(text)) throw new InvalidEntityKeyError(entity.name, text, 'a uuid');
    return text.toLowerCase();
  }
  if (type === 'int') {
    const value = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value === 0) throw new InvalidEntityKeyError(entity.name, text, 'a positive integer');
    return value;
  }
  if (text.length === 0 || text.length > MAX_TEXT_KEY) throw new InvalidEntityKeyError(entity.name, text.slice(0, 40), `text of 1 to ${MAX_TEXT_KEY} characters`);
  return text;
}

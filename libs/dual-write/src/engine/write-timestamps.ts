import type { EntityDefinition, Row } from '@dualwrite/stores';

/**
 * Both stores must hold the same row, so the engine sets the timestamps a database would otherwise fill
 * from its own clock. On create every generated timestamp; on any other write only the version field
 * (`updatedAt`). Values the caller gave are kept. Milliseconds, the precision both stores keep.
 */
export function stampTimestamps(entity: EntityDefinition, row: Row, kind: 'create' | 'change', now: Date = new Date()): Row {
  const stamped = { ...row };
  const at = new Date(Math.floor(now.getTime()));
  for (const [name, field] of Object.entries(entity.fields)) {
    if (field.type !== 'timestamp' || stamped[name] !== undefined) continue;
    if (kind === 'create' ? field.generated : name === entity.versionField) stamped[name] = at;
  }
  return stamped;
}

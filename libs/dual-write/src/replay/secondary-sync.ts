import type { EntityDefinition, RowKey } from '../entity/entity.types';
import { StoreNotFoundError } from '../store/store-errors';
import type { StorePlugin } from '../store/store.types';

/**
 * Makes the target hold what the source holds for some keys: upsert the source's row, or delete it on the
 * target when the source has none. Applying it twice changes nothing, which is what makes replays safe.
 */
export async function copyRowsByKey(entity: EntityDefinition, keys: RowKey[], source: StorePlugin, target: StorePlugin): Promise<void> {
  for (const key of keys) {
    const row = await source.get(entity, key);
    if (row) {
      await target.upsert(entity, row);
      continue;
    }
    await target.delete(entity, key).catch((error: unknown) => {
      if (!(error instanceof StoreNotFoundError)) throw error;
    });
  }
}

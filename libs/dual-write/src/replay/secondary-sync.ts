import type { EntityDefinition, RowKey } from '@dualwrite/stores';
import { StoreNotFoundError } from '@dualwrite/stores';
import type { StorePlugin } from '@dualwrite/stores';

/**
 * Makes the target hold what the source holds for some keys: upsert the source's row, or delete it on the
 * target when the source has none. Applying it twice changes nothing, which is what makes replays safe.
 * A copied serial key moves the target's sequence above it, so the target never hands that key out again.
 */
export async function copyRowsByKey(entity: EntityDefinition, keys: RowKey[], source: StorePlugin, target: StorePlugin): Promise<void> {
  for (const key of keys) {
    const row = await source.get(entity, key);
    if (row) {
      await target.upsert(entity, row);
      if (entity.keyStrategy === 'serial') await target.keepSequenceAbove(entity, Number(key));
      continue;
    }
    await target.delete(entity, key).catch((error: unknown) => {
      if (!(error instanceof StoreNotFoundError)) throw error;
    });
  }
}

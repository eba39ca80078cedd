import DataLoader from 'dataloader';
import type { EntityDefinition, RowKey, StorePlugin } from '@dualwrite/stores';
import { DispatchGate } from '../engine/dispatch-gate';
import { keyFromText } from '../replay/replay-processor';
import type { KeySync, LeftKey, SyncReport } from './key-sync';

export interface SyncBatcherOptions {
  /** Most keys in one sync. Default 100. */
  maxBatchSize?: number;
  /** Syncs of one entity between one pair of stores on their way at once; the next keys gather behind them. Default 2. */
  batchesInFlight?: number;
}

/** What one key's sync did, for the caller that asked for it. */
type KeyOutcome = { copied: SyncReport['copied'][number] } | { deleted: RowKey } | { left: LeftKey } | { unchanged: RowKey };

/**
 * Group commit for syncs: the keys of concurrent writes of one entity between the same primary and secondary
 * are synced together, as one KeySync (one lock statement, one read of the primary, one multi-row upsert on the
 * secondary). A sync that finds nothing on its way goes out at once; under load, keys gather while the previous
 * sync is out. Every caller gets the outcome of its own keys; when the sync fails, every caller of it does.
 * Batching changes nothing about order: each key is still read and written under its lock.
 */
export class SyncBatcher {
  private readonly loaders = new Map<string, DataLoader<string, KeyOutcome>>();
  private readonly maxBatchSize: number;
  private readonly batchesInFlight: number;

  constructor(
    private readonly keySync: KeySync,
    options: SyncBatcherOptions = {},
  ) {
    this.maxBatchSize = options.maxBatchSize ?? 100;
    this.batchesInFlight = options.batchesInFlight ?? 2;
  }

  async sync(entity: EntityDefinition, keys: RowKey[], source: StorePlugin, target: StorePlugin): Promise<SyncReport> {
    const loader = this.loaderFor(entity, source, target);
    const outcomes = await loader.loadMany(keys.map((key) => textOf(entity, key)));
    const report: SyncReport = { copied: [], deleted: [], left: [] };
    for (const outcome of outcomes) {
      if (outcome instanceof Error) throw outcome;
      if ('copied' in outcome) report.copied.push(outcome.copied);
      else if ('deleted' in outcome) report.deleted.push(outcome.deleted);
      else if ('left' in outcome) report.left.push(outcome.left);
    }
    return report;
  }

  private loaderFor(entity: EntityDefinition, source: StorePlugin, target: StorePlugin): DataLoader<string, KeyOutcome> {
    const id = `${entity.name}\u0000${source.name}\u0000${target.name}`;
    let loader = this.loaders.get(id);
    if (!loader) {
      const gate = new DispatchGate(this.batchesInFlight);
      loader = new DataLoader<string, KeyOutcome>((texts) => gate.release(this.syncBatch(entity, texts, source, target)), {
        cache: false,
        maxBatchSize: this.maxBatchSize,
        batchScheduleFn: (dispatch) => gate.schedule(dispatch),
      });
      this.loaders.set(id, loader);
    }
    return loader;
  }

  private async syncBatch(entity: EntityDefinition, texts: readonly string[], source: StorePlugin, target: StorePlugin): Promise<(KeyOutcome | Error)[]> {
    const unique = [...new Set(texts)];
    const keys = unique.map((text) => keyFromText(entity, text));
    let report: SyncReport;
    try {
      report = await this.keySync.sync(entity, keys, source, target);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      return texts.map(() => failure);
    }
    const byKey = new Map<string, KeyOutcome>();
    for (const copied of report.copied) byKey.set(textOf(entity, copied.key), { copied });
    for (const deleted of report.deleted) byKey.set(textOf(entity, deleted), { deleted });
    for (const left of report.left) byKey.set(textOf(entity, left.key), { left });
    return texts.map((text) => byKey.get(text) ?? { unchanged: keyFromText(entity, text) });
  }
}

function textOf(entity: EntityDefinition, key: RowKey): string {
  return entity.fields[entity.primaryKey]?.type === 'int' ? String(Number(key)) : String(key);
}

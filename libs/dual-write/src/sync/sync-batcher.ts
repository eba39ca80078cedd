import DataLoader from 'dataloader';
import type { EntityDefinition, RowKey, StorePlugin } from '@dualwrite/stores';
import type { OperationStatus } from '../ledger/operation-ledger';
import { gatedLoader } from '../engine/dispatch-gate';
import { keyFromText } from '../replay/replay-processor';
import { emptySyncReport, type KeySync, type LeftKey, type SyncReport, type SyncedWrite } from './key-sync';

export interface SyncBatcherOptions {
  /** Most keys in one sync. Default 100. */
  maxBatchSize?: number;
  /** Syncs of one entity between one pair of stores on their way at once; the next keys gather behind them. Default 2. */
  batchesInFlight?: number;
  /**
   * How long a sync that could go at once waits for more keys first (ms). Default 0. The writes' callers do not
   * wait for it when they are answered before their sync (SECONDARY_TIMEOUT_MS=0); fewer, larger syncs cost the
   * stores and the control database less per key.
   */
  gatherMs?: number;
}

/**
 * How long a sync gathers when no window is configured (ms). Callers answered before their sync
 * (`secondaryTimeoutMs` 0) do not wait for it, and at 400-600 writes a second a 60-ms window lets one sync serve
 * 20-30 writes (8-9 with 20 ms). On the bench box mode 2's extra CPU a write over mode 1 fell from 0.3-0.4 ms to
 * about 0.1 in the api and from 0.5 to 0.15-0.3 in PostgreSQL (BENCHMARKS.md). A caller that waits for its sync
 * would wait for the window too: none then.
 */
export function defaultSyncGatherMs(secondaryTimeoutMs: number | undefined): number {
  return secondaryTimeoutMs ? 0 : 60;
}

/** One key a caller asked to sync, with the write it is for when that write has this key only. */
interface KeyRequest {
  text: string;
  write?: SyncedWrite;
}

/** What one key's sync did, for the caller that asked for it (and how its write settled, when it gave one). */
type KeyOutcome = ({ copied: SyncReport['copied'][number] } | { deleted: RowKey } | { left: LeftKey } | { unchanged: RowKey }) & {
  settled?: OperationStatus | null;
};

/**
 * Group commit for syncs: the keys of concurrent writes of one entity between the same primary and secondary
 * are synced together, as one KeySync (one lock statement, one read of the primary, one multi-row upsert on the
 * secondary, one ledger update settling the writes). A sync that finds nothing on its way goes out at once; under
 * load, keys gather while the previous sync is out. Every caller gets the outcome of its own keys; when the sync
 * fails, every caller of it does. Batching changes nothing about order: each key is still read and written under
 * its lock.
 */
export class SyncBatcher {
  private readonly loaders = new Map<string, DataLoader<KeyRequest, KeyOutcome>>();
  private readonly maxBatchSize: number;
  private readonly batchesInFlight: number;
  private readonly gatherMs: number;

  constructor(
    private readonly keySync: KeySync,
    options: SyncBatcherOptions = {},
  ) {
    this.maxBatchSize = options.maxBatchSize ?? 100;
    this.batchesInFlight = options.batchesInFlight ?? 2;
    this.gatherMs = options.gatherMs ?? 0;
  }

  /**
   * Syncs the keys with the next batch. A write given is settled with the batch; it must have one key (a write of
   * many keys could be split over batches, and is settled by its caller once every key is synced).
   */
  async sync(entity: EntityDefinition, keys: RowKey[], source: StorePlugin, target: StorePlugin, writes: SyncedWrite[] = []): Promise<SyncReport> {
    const [write] = writes;
    if (writes.length > 1 || (write && keys.length !== 1)) throw new Error('SyncBatcher settles a write of exactly one key; settle others after the sync');
    const loader = this.loaderFor(entity, source, target);
    const outcomes = await loader.loadMany(keys.map((key) => ({ text: textOf(entity, key), write })));
    const report = emptySyncReport();
    for (const outcome of outcomes) {
      if (outcome instanceof Error) throw outcome;
      if ('copied' in outcome) report.copied.push(outcome.copied);
      else if ('deleted' in outcome) report.deleted.push(outcome.deleted);
      else if ('left' in outcome) report.left.push(outcome.left);
      if (write && outcome.settled !== undefined) report.settled.set(write.opId, outcome.settled);
    }
    return report;
  }

  private loaderFor(entity: EntityDefinition, source: StorePlugin, target: StorePlugin): DataLoader<KeyRequest, KeyOutcome> {
    const id = `${entity.name}\u0000${source.name}\u0000${target.name}`;
    let loader = this.loaders.get(id);
    if (!loader) {
      loader = gatedLoader((requests: readonly KeyRequest[]) => this.syncBatch(entity, requests, source, target), {
        maxBatchSize: this.maxBatchSize,
        batchesInFlight: this.batchesInFlight,
        gatherMs: this.gatherMs,
      });
      this.loaders.set(id, loader);
    }
    return loader;
  }

  private async syncBatch(entity: EntityDefinition, requests: readonly KeyRequest[], source: StorePlugin, target: StorePlugin): Promise<(KeyOutcome | Error)[]> {
    const keys = [...new Set(requests.map((request) => request.text))].map((text) => keyFromText(entity, text));
    const writes = requests.flatMap((request) => (request.write ? [request.write] : []));
    let report: SyncReport;
    try {
      report = await this.keySync.sync(entity, keys, source, target, writes);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      return requests.map(() => failure);
    }
    const byKey = new Map<string, KeyOutcome>();
    for (const copied of report.copied) byKey.set(textOf(entity, copied.key), { copied });
    for (const deleted of report.deleted) byKey.set(textOf(entity, deleted), { deleted });
    for (const left of report.left) byKey.set(textOf(entity, left.key), { left });
    return requests.map((request) => {
      const outcome = byKey.get(request.text) ?? { unchanged: keyFromText(entity, request.text) };
      return request.write ? { ...outcome, settled: report.settled.get(request.write.opId) ?? null } : outcome;
    });
  }
}

function textOf(entity: EntityDefinition, key: RowKey): string {
  return entity.fields[entity.primaryKey]?.type === 'int' ? String(Number(key)) : String(key);
}

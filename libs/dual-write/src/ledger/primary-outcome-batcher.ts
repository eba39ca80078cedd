import DataLoader from 'dataloader';
import type { Pool } from 'pg';
import { gatedLoader } from '../engine/dispatch-gate';
import type { OperationLedger, OperationObservation, OperationStatus } from './operation-ledger';
import { LedgerTransitionError, statusesAccepting } from './operation-transitions';
import { statusCaseSql } from './sync-settlement';

/** The events that record a primary's write: the caller is answered once one of them is in the ledger. */
export type PrimaryWroteEvent = 'primary_wrote' | 'primary_wrote_alone';

export interface PrimaryWrote {
  opId: string;
  /** The primary's answer, returned again to a caller retrying the same opId. */
  result: unknown;
  /** The keys written (database-assigned ones are known only now). */
  entityIds: string[];
  /** How the write went, for the alert rules; absent keeps what the ledger holds. */
  observation?: OperationObservation;
}

export interface PrimaryOutcomeBatcherOptions {
  /** Most operations in one statement. Default 100. */
  maxBatchSize?: number;
  /** Statements on their way at once; the next operations gather behind them. Default 1. */
  batchesInFlight?: number;
}

/**
 * Group commit for the one ledger update every write waits for before its caller is answered (PROTOCOL.md, step 5):
 * concurrent writes record their primary's outcome with one statement. One that finds nothing on its way goes out
 * at once; under load, operations gather while the previous statement is out. Each operation keeps the state
 * machine's rule (only a status accepting the event moves); an operation that was not in such a status gets
 * LedgerTransitionError naming the status it was in, as `OperationLedger.transition` would.
 */
export class PrimaryOutcomeBatcher {
  private readonly loaders = new Map<PrimaryWroteEvent, DataLoader<PrimaryWrote, OperationStatus>>();

  constructor(
    private readonly pool: Pool,
    private readonly ledger: OperationLedger,
    private readonly options: PrimaryOutcomeBatcherOptions = {},
  ) {}

  record(event: PrimaryWroteEvent, wrote: PrimaryWrote): Promise<OperationStatus> {
    let loader = this.loaders.get(event);
    if (!loader) {
      loader = gatedLoader((batch: readonly PrimaryWrote[]) => this.recordBatch(event, batch), {
        maxBatchSize: this.options.maxBatchSize ?? 100,
        batchesInFlight: this.options.batchesInFlight ?? 1,
      });
      this.loaders.set(event, loader);
    }
    return loader.load(wrote);
  }

  private async recordBatch(event: PrimaryWroteEvent, batch: readonly PrimaryWrote[]): Promise<(OperationStatus | Error)[]> {
    const records = batch.map((wrote) => ({
      op_id: wrote.opId,
      result: wrote.result ?? null,
      entity_ids: wrote.entityIds,
      observed: wrote.observation !== undefined,
      primary_outcome: wrote.observation?.primaryOutcome ?? null,
      secondary_outcome: wrote.observation?.secondaryOutcome ?? null,
      primary_latency_ms: wrote.observation?.primaryLatencyMs ?? null,
      secondary_latency_ms: wrote.observation?.secondaryLatencyMs ?? null,
      path_latency_ms: wrote.observation?.pathLatencyMs ?? null,
    }));
    const observed = (column: string) => `${column} = case when s.observed then s.${column} else op.${column} end`;
    let moved: Map<string, OperationStatus>;
    try {
      const { rows } = await this.pool.query<{ op_id: string; status: OperationStatus }>(
        `update dual_write_ops as op
            set status = ${statusCaseSql(event, 'op.status')}, result = s.result, entity_ids = s.entity_ids,
                ${['primary_outcome', 'secondary_outcome', 'primary_latency_ms', 'secondary_latency_ms', 'path_latency_ms'].map(observed).join(', ')},
                updated_at = now()
           from jsonb_to_recordset($1::jsonb) as s(op_id uuid, result jsonb, entity_ids text[], observed boolean, primary_outcome text,
                secondary_outcome text, primary_latency_ms integer, secondary_latency_ms integer, path_latency_ms integer)
          where op.op_id = s.op_id and op.status = any($2)
          returning op.op_id::text as op_id, op.status`,
        [JSON.stringify(records), statusesAccepting(event)],
      );
      moved = new Map(rows.map((row) => [row.op_id, row.status]));
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      return batch.map(() => failure);
    }
    return Promise.all(
      batch.map(async (wrote) => {
        const status = moved.get(wrote.opId);
        if (status) return status;
        const current = await this.ledger.get(wrote.opId).catch(() => null);
        return new LedgerTransitionError(wrote.opId, current?.status ?? 'missing', event);
      }),
    );
  }
}

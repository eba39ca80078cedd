import DataLoader from 'dataloader';
import type { Pool } from 'pg';
import { gatedLoader } from '../engine/dispatch-gate';
import { unfencedVersionSql } from '../flags/flag-repository';
import type { NewOperation, OperationLedger, OperationRecord } from './operation-ledger';

/** A claim's outcome: new and pending, or the record of the opId already there (a retry). */
export type ClaimOutcome = { created: true } | { created: false; record: OperationRecord };

export interface ClaimBatcherOptions {
  /** Most claims in one statement. Default 100. */
  maxBatchSize?: number;
  /** Statements on their way at once; the next claims gather behind them. Default 1. */
  batchesInFlight?: number;
}

/**
 * Group commit for claims (PROTOCOL.md, step 3): concurrent writes are recorded as pending with one insert, each
 * row on the same condition as a claim of its own (its flag version current and not fenced). One that finds
 * nothing on its way goes out at once; under load, claims gather while the previous insert is out. A claim the
 * insert did not take is settled by `OperationLedger.claim` alone: it then returns the existing record (a retry) or
 * raises FlagsMovedError, exactly as if it had never been batched. So does every claim of a batch that failed.
 */
export class ClaimBatcher {
  private readonly loader: DataLoader<NewOperation, ClaimOutcome>;

  constructor(
    private readonly pool: Pool,
    private readonly ledger: OperationLedger,
    options: ClaimBatcherOptions = {},
  ) {
    this.loader = gatedLoader((batch: readonly NewOperation[]) => this.claimBatch(batch), {
      maxBatchSize: options.maxBatchSize ?? 100,
      batchesInFlight: options.batchesInFlight ?? 1,
    });
  }

  claim(operation: NewOperation): Promise<ClaimOutcome> {
    return this.loader.load(operation);
  }

  private async claimBatch(batch: readonly NewOperation[]): Promise<(ClaimOutcome | Error)[]> {
    let inserted = new Set<string>();
    if (batch.length > 1) {
      const rows = batch.map((operation) => ({
        op_id: operation.opId,
        entity: operation.entity,
        operation: operation.operation,
        entity_ids: operation.entityIds,
        payload: operation.payload ?? null,
        primary_store: operation.primaryStore,
        secondary_store: operation.secondaryStore,
        mode: operation.mode ?? null,
        flag_version: operation.flagVersion,
        claimed_by: operation.claimedBy ?? null,
      }));
      inserted = await this.pool
        .query<{ op_id: string }>(
          `insert into dual_write_ops (op_id, entity, operation, entity_ids, payload, primary_store, secondary_store, status, mode, flag_version, claimed_by)
           select s.op_id, s.entity, s.operation, s.entity_ids, s.payload, s.primary_store, s.secondary_store, 'pending', s.mode, s.flag_version, s.claimed_by
             from jsonb_to_recordset($1::jsonb) as s(op_id uuid, entity text, operation text, entity_ids text[], payload jsonb,
                  primary_store text, secondary_store text, mode text, flag_version integer, claimed_by text)
            where ${unfencedVersionSql('s.flag_version')}
           on conflict (op_id) do nothing
           returning op_id::text as op_id`,
          [JSON.stringify(rows)],
        )
        .then(({ rows: claimed }) => new Set(claimed.map((row) => row.op_id)))
        // Every claim of the batch then goes alone, so one bad row cannot refuse the others.
        .catch(() => new Set<string>());
    }
    return Promise.all(
      batch.map(async (operation): Promise<ClaimOutcome | Error> => {
        if (inserted.has(operation.opId)) return { created: true };
        try {
          const claimed = await this.ledger.claim(operation);
          return claimed.created ? { created: true } : { created: false, record: claimed.record };
        } catch (error) {
          return error instanceof Error ? error : new Error(String(error));
        }
      }),
    );
  }
}

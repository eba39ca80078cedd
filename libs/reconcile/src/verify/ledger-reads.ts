import type { Pool } from 'pg';
import { keysOverlapSql } from '@dualwrite/dual-write';
import { UNSETTLED_STATUSES } from '../ledger-activity';
import type { KeyLedger, LedgerOpView } from './verify.types';

interface OpRow {
  op_id: string;
  entity: string;
  operation: string;
  status: string;
  entity_ids: string[];
  primary_store: string;
  secondary_store: string | null;
  attempts: number;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
  seq: string;
}

const COLUMNS = 'op_id, entity, operation, status, entity_ids, primary_store, secondary_store, attempts, last_error, created_at, updated_at, seq';
const LATEST_SHOWN = 10;

function viewOf(row: OpRow): LedgerOpView {
  return {
    opId: row.op_id,
    entity: row.entity,
    operation: row.operation,
    status: row.status,
    keys: row.entity_ids,
    primaryStore: row.primary_store,
    secondaryStore: row.secondary_store,
    attempts: row.attempts,
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Read-only views of the operation ledger (`dual_write_ops`, control database) for the verifications. */
export class VerifyLedgerReader {
  constructor(private readonly pool: Pool) {}

  /** The key's newest operations, and every one of its operations still unsettled or dead (however old). */
  async forKey(entity: string, key: string): Promise<KeyLedger> {
    const [latest, open] = await Promise.all([
      this.pool.query<OpRow>(`select ${COLUMNS} from dual_write_ops where entity = $1 and entity_ids @> array[$2]::text[] order by seq desc limit $3`, [
        entity,
        key,
        LATEST_SHOWN,
      ]),
      this.pool.query<OpRow>(`select ${COLUMNS} from dual_write_ops where entity = $1 and entity_ids @> array[$2]::text[] and status = any($3) order by seq desc`, [
        entity,
        key,
        [...UNSETTLED_STATUSES, 'dead'],
      ]),
    ]);
    const opened = open.rows.map(viewOf);
    return {
      latest: latest.rows.map(viewOf),
      unsettled: opened.filter((op) => op.status !== 'dead'),
      owed: opened.filter((op) => op.status === 'secondary_pending'),
      dead: opened.filter((op) => op.status === 'dead'),
    };
  }

  /** The control database's clock now, and `minutes` before it. */
  async window(minutes: number): Promise<{ from: Date; to: Date }> {
    const { rows } = await this.pool.query<{ from: Date; to: Date }>(`select now() - make_interval(mins => $1) as from, now() as to`, [minutes]);
    return { from: rows[0].from, to: rows[0].to };
  }

  /** Operations created in [from, to], in claim order, a page at a time (after the `seq` given). */
  async *opsBetween(from: Date, to: Date, pageSize = 1_000): AsyncGenerator<LedgerOpView[]> {
    let after = '0';
    for (;;) {
      const { rows } = await this.pool.query<OpRow>(
        `select ${COLUMNS} from dual_write_ops where created_at >= $1 and created_at <= $2 and seq > $3 order by seq limit $4`,
        [from, to, after, pageSize],
      );
      if (rows.length === 0) return;
      yield rows.map(viewOf);
      after = rows[rows.length - 1].seq;
      if (rows.length < pageSize) return;
    }
  }

  /** Of `keys`, those an operation still unsettled names (any age). */
  async keysInFlight(entity: string, keys: readonly string[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const { rows } = await this.pool.query<{ key: string }>(
      `select distinct key from dual_write_ops, unnest(entity_ids) as key
        where entity = $1 and ${keysOverlapSql('$2::text[]')} and key = any($2::text[]) and status = any($3)`,
      [entity, keys, UNSETTLED_STATUSES],
    );
    return new Set(rows.map((row) => row.key));
  }

  /** Keys of delete (and batch) operations on the entity claimed at or after `since` whose primary write happened or may have. */
  async keysDeletedSince(entity: string, since: Date): Promise<string[]> {
    const { rows } = await this.pool.query<{ key: string }>(
      `select distinct key from dual_write_ops, unnest(entity_ids) as key
        where entity = $1 and operation in ('delete', 'batch') and created_at >= $2 and status <> 'rejected'`,
      [entity, since],
    );
    return rows.map((row) => row.key);
  }
}

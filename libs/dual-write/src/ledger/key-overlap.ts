/**
 * `entity_ids && <keys>` for statements that find the ledger's operations on some keys through its GIN index
 * (`dual_write_ops_keys_idx`). The keys go through a sub-select so the planner does not see them: keys written once
 * each (every create's) leave no frequent keys in the statistics of a ledger larger than ANALYZE's sample, and with
 * the keys in view the planner then guessed that a few dozen of them match a fifth of the ledger and read all of it
 * (90-300 ms a sync on 175,000 operations). Unseen, they are guessed at 1 %, which the index serves in well under a
 * millisecond at any ledger size.
 */
export function keysOverlapSql(keyArray: string): string {
  return `entity_ids && (select ${keyArray})`;
}

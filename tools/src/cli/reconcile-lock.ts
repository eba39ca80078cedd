import type { Pool, PoolClient } from 'pg';

/** The class of reconcile-data's session advisory locks (two-int form; the copy's class is 7_201_911). */
const RECONCILE_LOCK_CLASS = 7_201_912;

/** A reconcile of the entity is already running in another process: names it (host:pid, since when). */
export class ReconcileAlreadyRunningError extends Error {
  constructor(
    readonly entity: string,
    holder: { owner: string; since: Date } | null,
  ) {
    super(
      `a reconcile of ${entity} is already running${holder ? ` (${holder.owner}, since ${holder.since.toISOString()})` : ''}; wait for it to finish: ` +
        'two runs would re-check and record the same keys twice',
    );
    this.name = 'ReconcileAlreadyRunningError';
  }
}

export interface HeldReconcileLocks {
  release(): Promise<void>;
}

/**
 * Takes reconcile-data's per-entity locks in the control database, all or none: session advisory locks on one
 * connection held until `release`, so a second reconcile-data of an entity is refused while the first runs, and a
 * process that dies loses its locks with its session. `owner` (host:pid) is set as the session's application_name,
 * which is how a refusal names the running one.
 */
export async function lockReconcileEntities(control: Pool, entities: readonly string[], owner: string): Promise<HeldReconcileLocks> {
  const client = await control.connect();
  const held: string[] = [];
  try {
    await client.query(`select set_config('application_name', $1, false)`, [`reconcile-data ${owner}`]);
    for (const entity of entities) {
      const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1, hashtext($2)) as locked', [RECONCILE_LOCK_CLASS, `reconcile:${entity}`]);
      if (rows[0]?.locked !== true) throw new ReconcileAlreadyRunningError(entity, await holderOf(client, entity));
      held.push(entity);
    }
  } catch (error) {
    await unlock(client, held);
    throw error;
  }
  return { release: () => unlock(client, held) };
}

/** The session holding the entity's lock: its application_name (reconcile-data host:pid) and when it connected. */
async function holderOf(client: PoolClient, entity: string): Promise<{ owner: string; since: Date } | null> {
  const { rows } = await client.query<{ owner: string; since: Date }>(
    `select replace(a.application_name, 'reconcile-data ', '') as owner, a.backend_start as since
       from pg_locks l join pg_stat_activity a on a.pid = l.pid
      where l.locktype = 'advisory' and l.granted and l.classid = $1::int::oid and l.objid = hashtext($2)::oid and l.objsubid = 2`,
    [RECONCILE_LOCK_CLASS, `reconcile:${entity}`],
  );
  return rows[0] ?? null;
}

async function unlock(client: PoolClient, held: readonly string[]): Promise<void> {
  try {
    for (const entity of held) await client.query('select pg_advisory_unlock($1, hashtext($2))', [RECONCILE_LOCK_CLASS, `reconcile:${entity}`]);
    await client.query('reset application_name');
  } finally {
    client.release();
  }
}

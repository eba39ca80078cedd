import type { Pool } from 'pg';
import type { EntityDefinition } from '@dualwrite/stores';

/** A foreign key between two tables of one schema: `child` references `parent`. */
export interface ForeignKeyEdge {
  child: string;
  parent: string;
}

/**
 * The entities with every parent table before its children (a child's rows reference rows the parent must hold
 * first), otherwise in the given order. References to tables outside the selection and to the table itself
 * are ignored; a cycle among the selected tables is refused, naming them.
 */
export function parentsFirst(entities: EntityDefinition[], edges: ForeignKeyEdge[]): EntityDefinition[] {
  const tables = new Set(entities.map((entity) => entity.table));
  const parentsOf = new Map<string, Set<string>>(entities.map((entity) => [entity.table, new Set<string>()]));
  for (const { child, parent } of edges) {
    if (child !== parent && tables.has(child) && tables.has(parent)) parentsOf.get(child)?.add(parent);
  }
  const ordered: EntityDefinition[] = [];
  const placed = new Set<string>();
  while (ordered.length < entities.length) {
    const next = entities.find((entity) => !placed.has(entity.table) && [...(parentsOf.get(entity.table) ?? [])].every((parent) => placed.has(parent)));
    if (!next) {
      const stuck = entities.filter((entity) => !placed.has(entity.table)).map((entity) => entity.table);
      throw new Error(`the foreign keys of ${stuck.join(', ')} form a cycle: no parent-first order to copy them in`);
    }
    ordered.push(next);
    placed.add(next.table);
  }
  return ordered;
}

/** The foreign keys among the tables of `schema`, from the catalog (pg_constraint sees every table, whatever the grants). */
export async function readForeignKeys(pool: Pool, schema = 'public'): Promise<ForeignKeyEdge[]> {
  const { rows } = await pool.query<ForeignKeyEdge>(
    `select child.relname as child, parent.relname as parent
       from pg_constraint fk
       join pg_class child on child.oid = fk.conrelid
       join pg_class parent on parent.oid = fk.confrelid
       join pg_namespace ns on ns.oid = child.relnamespace
      where fk.contype = 'f' and ns.nspname = $1`,
    [schema],
  );
  return rows;
}

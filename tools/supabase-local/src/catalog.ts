import type { PoolClient } from 'pg';
import { PostgrestError } from './postgrest-errors';
import type { FunctionArgument } from './sql-builder';

/** Primary key columns of a table, in key order; the default conflict target of an upsert. */
export async function primaryKeyColumns(client: PoolClient, qualifiedTable: string): Promise<string[]> {
  const result = await client.query<{ relation: string | null; column_name: string | null }>(
    `select to_regclass($1)::text as relation, a.attname::text as column_name
       from (select 1) as one
       left join pg_index i on i.indrelid = to_regclass($1) and i.indisprimary
       left join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
      order by array_position(i.indkey::int2[], a.attnum)`,
    [qualifiedTable],
  );
  if (result.rows[0]?.relation === null) {
    throw new PostgrestError(404, '42P01', `relation ${qualifiedTable.replace(/"/g, '')} does not exist`);
  }
  return result.rows.map((row) => row.column_name).filter((name): name is string => name !== null);
}

export type FunctionResultShape = 'void' | 'scalar' | 'rows';

export interface FunctionSignature {
  /** Input parameters in declaration order. */
  args: FunctionArgument[];
  /** How many trailing input parameters have defaults. */
  defaults: number;
  returnsSet: boolean;
  shape: FunctionResultShape;
}

interface FunctionRow {
  args: FunctionArgument[] | null;
  defaults: number;
  returns_set: boolean;
  returns_void: boolean;
  return_kind: string;
}

/**
 * The overload of schema.name whose parameter names fit the given argument names (PostgREST's rule: every
 * given name is a parameter, every parameter without a default is given). 404 PGRST202 when none fits.
 */
export async function findFunction(client: PoolClient, schema: string, name: string, argumentNames: string[]): Promise<FunctionSignature> {
  const result = await client.query<FunctionRow>(
    `select p.pronargdefaults::int as defaults, p.proretset as returns_set,
            p.prorettype = 'void'::regtype as returns_void, t.typtype::text as return_kind,
            (select json_agg(json_build_object('name', a.name, 'type', format_type(a.type, null)) order by a.ord)
               from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[]),
                           coalesce(p.proargnames, array[]::text[]),
                           coalesce(p.proargmodes::text[], array[]::text[])) with ordinality as a(type, name, mode, ord)
              where a.type is not null and coalesce(a.mode, 'i') in ('i', 'b', 'v')) as args
       from pg_proc p
       join pg_namespace n on n.oid = p.pronamespace
       join pg_type t on t.oid = p.prorettype
      where n.nspname = $1 and p.proname = $2 and p.prokind = 'f'`,
    [schema, name],
  );
  const fitting = result.rows.filter((row) => {
    const args = row.args ?? [];
    const names = args.map((arg) => arg.name);
    const required = names.slice(0, names.length - row.defaults);
    return argumentNames.every((given) => names.includes(given)) && required.every((needed) => argumentNames.includes(needed));
  });
  const signature = `${schema}.${name}(${argumentNames.join(', ')})`;
  if (fitting.length === 0) {
    throw new PostgrestError(404, 'PGRST202', `Could not find the function ${signature} in the schema cache`, null,
      'Check the function name and its named arguments.');
  }
  if (fitting.length > 1) {
    throw new PostgrestError(300, 'PGRST203', `Could not choose the best candidate function between overloads of ${signature}`);
  }
  const row = fitting[0] as FunctionRow;
  const shape: FunctionResultShape = row.returns_void ? 'void' : row.return_kind === 'c' || row.return_kind === 'p' ? 'rows' : 'scalar';
  return { args: row.args ?? [], defaults: row.defaults, returnsSet: row.returns_set, shape };
}

import type { Pool } from 'pg';
import type { EntityDefinition } from '@dualwrite/stores';
import { contractItems, contractNotes, contractOwners, contractPosts, type InMemoryStore } from '@dualwrite/stores/testing';
import { FlagRepository } from '../../src/flags/flag-repository';
import { ITEM_IDS } from './fixtures';
import { InvariantViolation, WRITTEN_ENTITIES, type History } from './history';
import type { Program, WriteCommand } from './program';

export interface FinalCheckParts {
  history: History;
  stores: { a: InMemoryStore; b: InMemoryStore };
  control: Pool;
  byName: Map<string, EntityDefinition>;
  program: Program;
}

/** Once the run has drained: I1, I2/I5 and I3 over everything. Returns the rows of the documented serial limit. */
export async function finalChecks(run: FinalCheckParts): Promise<number> {
  run.history.checkApplied([run.stores.a, run.stores.b], run.byName);
  run.history.checkOrigins([run.stores.a, run.stores.b]);
  let knownLimitRows = 0;
  // I2/I5: the same rows on both stores, except the documented limit (a serial create whose key nobody learnt:
  // no create recorded it; an update or delete naming the same number says nothing about who created the row).
  const { rows } = await run.control.query<{ entity_ids: string[] }>(`select entity_ids from dual_write_ops where entity = $1 and operation = 'create'`, [contractNotes.name]);
  const learnt = new Set(rows.flatMap((row) => row.entity_ids));
  for (const entity of [contractOwners, contractPosts, ...WRITTEN_ENTITIES]) {
    const onA = new Map(run.stores.a.peek(entity).map((row) => [String(row[entity.primaryKey]), JSON.stringify(row)]));
    const onB = new Map(run.stores.b.peek(entity).map((row) => [String(row[entity.primaryKey]), JSON.stringify(row)]));
    for (const key of new Set([...onA.keys(), ...onB.keys()])) {
      if (onA.get(key) === onB.get(key)) continue;
      if (entity === contractNotes && (!onA.has(key) || !onB.has(key)) && !learnt.has(key)) {
        knownLimitRows += 1;
        continue;
      }
      throw new InvariantViolation('I5', `${entity.name} ${key} differs after the drain: prisma ${onA.get(key) ?? 'has no row'}, supabase ${onB.get(key) ?? 'has no row'}`);
    }
  }
  // I1: every acknowledged write, or a later one, on the store that ends as primary.
  const flags = await new FlagRepository(run.control).read();
  const primary = flags.enableSupabasePrimary ? run.stores.b : run.stores.a;
  run.history.checkAcknowledged(primary, run.byName, (attempt) => {
    const command = run.program.commands[attempt.writeIndex] as WriteCommand;
    const entity = command.kind === 'item' ? contractItems : contractNotes;
    if (command.kind === 'item') return { entity: entity.name, key: ITEM_IDS[command.key] as string };
    if (command.op !== 'create') return { entity: entity.name, key: command.key };
    const row = attempt.outcome?.kind === 'ok' ? attempt.outcome.row : undefined;
    return row ? { entity: entity.name, key: Number(row['id']) } : undefined;
  });
  return knownLimitRows;
}

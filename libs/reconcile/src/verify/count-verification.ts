import type { EntityDefinition, StorePlugin } from '@dualwrite/stores';
import type { Pool } from 'pg';
import { mapLimit } from '../map-limit';
import { currentRoles } from './store-roles';
import type { CountVerification } from './verify.types';

/** Row counts of every entity on both stores (primary and secondary as the flags say), side by side. */
export async function verifyCounts(dependencies: { entities: EntityDefinition[]; stores: { a: StorePlugin; b: StorePlugin }; control: Pool }): Promise<CountVerification> {
  const roles = await currentRoles(dependencies.control, dependencies.stores);
  const entities = await mapLimit(dependencies.entities, 2, async (entity) => {
    const [primary, secondary] = await Promise.all([roles.primary.count(entity), roles.secondary.count(entity)]);
    return {
      entity: entity.name,
      primary: { store: roles.primary.name, count: primary },
      secondary: { store: roles.secondary.name, count: secondary },
      equal: primary === secondary,
    };
  });
  return { mode: roles.mode, entities, equal: entities.every((entity) => entity.equal) };
}

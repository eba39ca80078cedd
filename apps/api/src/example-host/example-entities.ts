import { exampleEntities } from '@dualwrite/example-domain';

/** The entities the example host app serves under /api/:entity. */
export const EXAMPLE_ENTITIES = exampleEntities;
export const EXAMPLE_ENTITY_NAMES = EXAMPLE_ENTITIES.map((entity) => entity.name);

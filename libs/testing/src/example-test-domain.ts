import { createPrismaClient, exampleEntities, usersEntity } from '@dualwrite/example-domain';
import { prepareControlDatabase } from './control-database';

/**
 * The example domain as the libs' spec kits take it (e.g. dual-write's EngineTestKit): the entities, the one that owns
 * the rows, a Prisma client for store A's database, and a control database of the suite's own. The kits live in the
 * libs they test and may not import the example domain or these helpers; their specs hand this in.
 */
export const exampleTestDomain = {
  entities: exampleEntities,
  owners: usersEntity,
  prismaClient: createPrismaClient,
  controlDatabase: prepareControlDatabase,
};

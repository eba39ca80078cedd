import { createPrismaClient, exampleEntities, usersEntity } from '@dualwrite/example-domain';
import { prepareControlDatabase } from './control-database';
import { startEntryProcess } from './entry-process';

/**
 * The example domain as the libs' spec kits take it (e.g. dual-write's EngineTestKit, reconcile's ScratchStores and
 * RunsScratch): the entities, the one that owns the rows, a Prisma client for store A's database, a control database
 * of the suite's own, how to start an entry point of the repo, and where a spawned process finds this object
 * (`importedAs`). The kits live in the libs they test and may not import the example domain or these helpers; their
 * specs hand this in.
 */
export const exampleTestDomain = {
  entities: exampleEntities,
  owners: usersEntity,
  prismaClient: createPrismaClient,
  controlDatabase: prepareControlDatabase,
  startEntryProcess,
  importedAs: { module: __filename, name: 'exampleTestDomain' },
};

import { exampleEntities, usersEntity } from '@dualwrite/example-domain';
import { exampleTestDomain } from './example-test-domain';

describe('exampleTestDomain', () => {
  it('names the module and export a spawned worker process loads it from', async () => {
    const { module, name } = exampleTestDomain.importedAs;

    const loaded = ((await import(module)) as Record<string, unknown>)[name];

    expect(loaded).toBe(exampleTestDomain);
  });

  it('hands the kits the example entities, with users owning the rows', () => {
    expect(exampleTestDomain.entities).toBe(exampleEntities);
    expect(exampleTestDomain.owners).toBe(usersEntity);
  });
});

import type { EntityDefinition, PrismaClientLike } from '@dualwrite/stores';

/** A process the specs started from an entry point of the repo (e.g. the test helpers' startEntryProcess). */
export interface SpecProcess {
  kill(signal: NodeJS.Signals): void;
  finished: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  /** Output so far. */
  stdout(): string;
}

/**
 * The domain the reconcile spec kits (ScratchStores, RunsScratch, startPhaseTwo) work on, handed in by the specs
 * (the test helpers' exampleTestDomain): this lib's code may not import the example domain or the test helpers.
 * `importedAs` names the module and export that hold this same object, so a worker process the specs spawn loads it.
 */
export interface ReconcileTestDomain {
  entities: EntityDefinition[];
  prismaClient: (databaseUrl: string) => PrismaClientLike;
  controlDatabase: (name: string) => Promise<string>;
  startEntryProcess: (entry: string, env?: NodeJS.ProcessEnv) => SpecProcess;
  importedAs: { module: string; name: string };
}

/** The part of a ReconcileTestDomain a worker process loads by `importedAs`. */
export type WorkerTestDomain = Pick<ReconcileTestDomain, 'entities' | 'prismaClient'>;

/** Loads the domain a spec named by `importedAs` (module path or specifier, export name) in a process of its own. */
export async function loadWorkerTestDomain(module: string, name: string): Promise<WorkerTestDomain> {
  const exported = ((await import(module)) as Record<string, Partial<WorkerTestDomain> | undefined>)[name];
  if (!Array.isArray(exported?.entities) || typeof exported?.prismaClient !== 'function') {
    throw new Error(`${module} has no export ${name} with entities and prismaClient`);
  }
  return { entities: exported.entities, prismaClient: exported.prismaClient };
}

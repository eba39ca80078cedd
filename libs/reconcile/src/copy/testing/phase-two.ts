import { randomBytes } from 'node:crypto';
import { DiffPolicy, DiffQueue, DualWriteEngine, FlagRepository, FlagService, KeySync, OperationLedger, ReplayQueue, StoreBreakers } from '@dualwrite/dual-write';
import { EntityRegistry } from '@dualwrite/stores';
import type { ScratchStores } from './scratch-stores';

export interface PhaseTwo {
  /** The real write engine: store A primary, every write synced to store B through KeySync. */
  engine: DualWriteEngine;
  /** Drains the engine, puts the flags back to phase 1 and closes the queues and the flag cache. */
  close(): Promise<void>;
}

/** Dual writes on (phase 2) over the scratch stores' entities, with queues and a Redis key prefix of their own. */
export async function startPhaseTwo(stores: ScratchStores, redisUrl: string, changedBy: string): Promise<PhaseTwo> {
  const suffix = randomBytes(4).toString('hex');
  const flagRepository = new FlagRepository(stores.control);
  await flagRepository.change({ next: { enableDualWrite: true, enableSupabasePrimary: false }, changedBy, source: 'cli', reason: 'phase 2 for the copy' });
  const flags = new FlagService(flagRepository, { redisUrl, cacheTtlMs: 0, redisKeyPrefix: `dw-copy-t-${suffix}:` });
  await flags.start();
  const ledger = new OperationLedger(stores.control);
  const replayQueue = new ReplayQueue({ redisUrl, queueName: `dw-replay-copy-t-${suffix}` });
  const diffQueue = new DiffQueue({ redisUrl, queueName: `dw-diffs-copy-t-${suffix}` });
  const engine = new DualWriteEngine({
    stores: { a: stores.prisma, b: stores.supabase },
    entities: new EntityRegistry(stores.domain.entities),
    flags,
    ledger,
    keySync: new KeySync({ pool: stores.control, ledger }),
    replayQueue,
    breakers: new StoreBreakers({ stores: ['prisma', 'supabase'] }),
    diffs: diffQueue,
    diffPolicy: new DiffPolicy(),
    secondaryTimeoutMs: 3_000,
  });
  return {
    engine,
    close: async () => {
      await engine.drain();
      await flagRepository.change({ next: { enableDualWrite: false, enableSupabasePrimary: false }, changedBy, source: 'cli', reason: 'back to phase 1' });
      await Promise.allSettled([flags.close(), replayQueue.obliterate().then(() => replayQueue.close()), diffQueue.close()]);
    },
  };
}

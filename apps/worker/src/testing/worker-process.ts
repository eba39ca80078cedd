import { startEntryProcess, type EntryProcess } from '@dualwrite/testing';

export type WorkerProcess = EntryProcess;

/** Starts the real worker process (tools/run.js apps/worker/src/main.ts) with environment overrides. */
export function startWorkerProcess(env: NodeJS.ProcessEnv = {}): WorkerProcess {
  return startEntryProcess('apps/worker/src/main.ts', env);
}

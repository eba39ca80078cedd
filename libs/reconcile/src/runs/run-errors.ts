import type { RunKind } from './run.types';

/**
 * A run of this kind already holds the entity: the refusal names that run, or (runningRunId null) the in-process
 * command holding it (`detail`, e.g. reconcile-data host:pid).
 */
export class RunAlreadyRunningError extends Error {
  constructor(
    readonly kind: RunKind,
    readonly entity: string,
    readonly runningRunId: string | null,
    detail = '',
  ) {
    super(
      runningRunId
        ? `a ${kind} of ${entity} is already running: run ${runningRunId}${detail}; wait for it to finish (GET /admin/${kind}/runs/${runningRunId})`
        : `a ${kind} of ${entity} is already running in another process${detail}; wait for it to finish`,
    );
    this.name = 'RunAlreadyRunningError';
  }
}

/** A request the coordinator cannot start: what is wrong is named. */
export class InvalidRunRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidRunRequestError';
  }
}

export class UnknownRunError extends Error {
  constructor(readonly runId: string) {
    super(`no run ${runId}`);
    this.name = 'UnknownRunError';
  }
}

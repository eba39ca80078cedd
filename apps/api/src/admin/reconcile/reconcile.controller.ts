import { Body, Req } from '@nestjs/common';
import type { ExpressRequestLike } from '../../http/express-shapes';
import { parseRequest } from '../parse-request';
import { RunRoutes, RunsController, StartRunRoute } from './run-routes';
import type { StartedRunView } from './runs-admin.service';
import { reconcileStartBody, selectionOf } from './runs.schema';

/** Distributed reconcile runs: start one (the workers execute it as a BullMQ flow), follow its progress, list them. */
@RunsController('reconcile')
export class ReconcileController extends RunRoutes('reconcile', {
  list: 'Reconcile runs, newest first, each with its progress',
  cancel: 'Cancel a running reconcile run: it ends failed ("cancelled by …") and releases its entities; queued jobs then do nothing',
  get:
    'A reconcile run: status; segments done, failed and total; rows covered of planned; findings stored so far and keys found differing so far; ' +
    'rows/s and ETA (seconds, from the rate so far); per entity the same',
}) {
  @StartRunRoute(
    'reconcile',
    'Start a reconcile run of an entity, several or all: segment checksums on both stores, bisection, row comparison and the ledger re-check, ' +
      'split into segment jobs any number of workers run. Answers at once with the run id; findings go to reconcile_findings.',
    reconcileStartBody,
    '',
  )
  start(@Body() body: unknown, @Req() request: ExpressRequestLike): Promise<StartedRunView> {
    const { entity, ...options } = parseRequest(reconcileStartBody, body, 'body');
    return this.runs.start({ kind: 'reconcile', selection: selectionOf(entity), options, requestedBy: this.caller.labelOf(request) });
  }
}

import { Body, Req } from '@nestjs/common';
import type { ExpressRequestLike } from '../../http/express-shapes';
import { parseRequest } from '../parse-request';
import { RunRoutes, RunsController, StartRunRoute } from '../reconcile/run-routes';
import type { StartedRunView } from '../reconcile/runs-admin.service';
import { copyStartBody, selectionOf } from '../reconcile/runs.schema';

/** Distributed initial copies: start one (chunk jobs any number of workers run, parents first), follow it, list them. */
@RunsController('copy')
export class CopyController extends RunRoutes('copy', {
  list: 'Copy runs, newest first, each with its progress',
  cancel:
    'Cancel a running copy run: it ends failed ("cancelled by …") and releases its entities; queued jobs then do nothing, and the next copy of an entity resumes its unfinished chunks',
  get: 'A copy run: status; chunks done, failed and total; rows copied of planned; keys left; rows/s and ETA; per entity the same',
}) {
  @StartRunRoute(
    'copy',
    'Start a copy of an entity, several or all from store a (or b) to the other through the protocol\'s KeySync, chunk by chunk, each chunk ' +
      'recorded (an unfinished copy-data run is resumed, never restarted); keys written meanwhile are synced again at the end. ' +
      'With `rate`, the run copies at most that many rows per second whatever the number of workers.',
    copyStartBody,
    ' (here or in copy-data)',
  )
  start(@Body() body: unknown, @Req() request: ExpressRequestLike): Promise<StartedRunView> {
    const { entity, from, chunkSize, rate } = parseRequest(copyStartBody, body, 'body');
    const options = { ...(chunkSize === undefined ? {} : { segmentRows: chunkSize }), ...(rate === undefined ? {} : { rate }) };
    return this.runs.start({ kind: 'copy', selection: selectionOf(entity), from, options, requestedBy: this.caller.labelOf(request) });
  }
}

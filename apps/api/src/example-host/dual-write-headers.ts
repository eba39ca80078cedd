import type { DualWriteResult } from '@dualwrite/dual-write';
import type { ExpressResponseLike } from '../http/express-shapes';

/** The engine's verdict travels in headers; the body stays the row the host app promises. */
export function withDualWriteHeaders<T>(response: ExpressResponseLike, result: DualWriteResult<T>): T {
  response.setHeader('X-DualWrite-Mode', result.mode);
  if (result.opId) response.setHeader('X-DualWrite-Op-Id', result.opId);
  response.setHeader('X-DualWrite-Queued', String(result.queued));
  if (result.degraded) response.setHeader('X-DualWrite-Degraded', 'true');
  return result.data;
}

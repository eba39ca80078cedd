import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** Seconds a client refused during shutdown should wait before retrying (elsewhere, behind the load balancer). */
export const SHUTTING_DOWN_RETRY_AFTER_SECONDS = 5;

/** After the running requests, how long the last responses get to leave before every connection is cut. */
const CONNECTIONS_GRACE_MS = 1_000;

/**
 * The api's first step at shutdown, before Nest's hooks drain the engine and close the stores: stop taking
 * requests, let the running ones finish. Its middleware (installed first, see createApiApp) tracks the running
 * requests and, once `stop()` was called, answers every new one 503 + `Connection: close` + Retry-After: a
 * request arriving on a kept-alive connection must not start work the drain would cut off.
 */
export class HttpDrain {
  private draining = false;
  private readonly running = new Set<ServerResponse>();
  private readonly waiters = new Set<() => void>();

  readonly middleware = (_request: IncomingMessage, response: ServerResponse, next: () => void): void => {
    if (this.draining) {
      refuse(response);
      return;
    }
    this.running.add(response);
    response.once('close', () => this.finished(response));
    next();
  };

  /**
   * Stops taking requests: the server stops accepting connections and closes its idle kept-alive ones, new
   * requests on the others are refused; then waits (at most `timeoutMs`) for the running requests. Their
   * connections close once their last response has left; whatever is still open after that is cut.
   * Returns how many requests were still running when the wait ended (0: all finished).
   */
  async stop(server: Server, timeoutMs: number): Promise<number> {
    this.draining = true;
    // Node 19+ also closes the idle kept-alive connections here.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    const left = await this.settled(timeoutMs);
    server.closeIdleConnections();
    await Promise.race([closed, delay(CONNECTIONS_GRACE_MS)]);
    server.closeAllConnections();
    return left;
  }

  private settled(timeoutMs: number): Promise<number> {
    if (this.running.size === 0) return Promise.resolve(0);
    return new Promise<number>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve(this.running.size);
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
    });
  }

  private finished(response: ServerResponse): void {
    this.running.delete(response);
    if (this.running.size === 0) for (const waiter of [...this.waiters]) waiter();
  }
}

function refuse(response: ServerResponse): void {
  const body = JSON.stringify({ statusCode: 503, error: 'Service Unavailable', message: 'The api is shutting down; retry shortly.' });
  response.writeHead(503, {
    Connection: 'close',
    'Retry-After': String(SHUTTING_DOWN_RETRY_AFTER_SECONDS),
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
  });
  response.end(body);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

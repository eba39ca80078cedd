import type { Dispatcher } from 'undici';
import type { Row } from '@dualwrite/stores';

export interface BenchResponse {
  status: number;
  body: unknown;
  headers: Headers;
}

/** Why requests failed, counted by status and message (or the client's error), for the report. */
export class FailureTally {
  private readonly counts = new Map<string, number>();

  add(reason: string): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
  }

  /** The most frequent reasons first. */
  top(limit = 5): [string, number][] {
    return [...this.counts].sort((left, right) => right[1] - left[1]).slice(0, limit);
  }
}

/**
 * The benchmark's HTTP client for the api it started: JSON in and out, one bearer token, optional extra headers
 * (Idempotency-Key, so the bench knows the opId of every write it sent, answered or not). `dispatcher` gives the
 * client connections of its own, e.g. for the flip's PUT /admin/flags while the load fills the shared pool.
 */
export class BenchApi {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly dispatcher?: Dispatcher,
  ) {}

  async request(method: string, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<BenchResponse> {
    const init: RequestInit & { dispatcher?: Dispatcher } = {
      method,
      headers: { ...headers, authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
    };
    const response = await fetch(`${this.baseUrl}${route}`, init as RequestInit);
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : null, headers: response.headers };
  }

  /** The request, failing with the answer when its status is not `status`. */
  async expect(method: string, route: string, status: number, body?: unknown): Promise<BenchResponse & { body: Row }> {
    const answer = await this.request(method, route, body);
    if (answer.status === status) return answer as BenchResponse & { body: Row };
    throw new Error(`${method} ${route} answered ${answer.status}, expected ${status}: ${JSON.stringify(answer.body)}`);
  }

  /** The request; an answer other than `expected`, or none, is counted in `failures` by reason. */
  async send(failures: FailureTally, method: string, route: string, expected: number, body?: unknown, headers?: Record<string, string>): Promise<BenchResponse> {
    try {
      const answer = await this.request(method, route, body, headers);
      if (answer.status !== expected) failures.add(`${answer.status} ${JSON.stringify(answer.body).slice(0, 160)}`);
      return answer;
    } catch (error) {
      failures.add(`no answer: ${error instanceof Error ? `${error.message} ${String((error as { cause?: unknown }).cause ?? '')}` : String(error)}`);
      throw error;
    }
  }
}

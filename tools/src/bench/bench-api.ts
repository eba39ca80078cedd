import type { PlatformConfig } from '@dualwrite/config';
import type { HttpTransport, Row } from '@dualwrite/stores';

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
 * (Idempotency-Key, so the bench knows the opId of every write it sent, answered or not). Each client has the
 * connections of its `transport`, e.g. the flip's PUT /admin/flags its own while the load fills the shared ones.
 * The transport is the Supabase store's (undici's request()): the load generator shares the box with the api and
 * the stores, and Node's fetch would cost it about twice the CPU a request.
 */
export class BenchApi {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly transport: HttpTransport,
  ) {}

  async request(method: string, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<BenchResponse> {
    const response = await this.transport.fetch(`${this.baseUrl}${route}`, {
      method,
      headers: { ...headers, authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
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

/** The ADMIN_TOKENS token of `role` (else the admin's) the tools send as their bearer token. */
export function adminToken(config: PlatformConfig, role: string): string {
  const entry = config.adminTokens.find((candidate) => candidate.role === role) ?? config.adminTokens.find((candidate) => candidate.role === 'admin');
  if (!entry) throw new Error(`ADMIN_TOKENS needs a ${role} or admin token`);
  return entry.token;
}

import type { Row } from '@dualwrite/stores';

export interface ApiResponse {
  status: number;
  body: unknown;
  headers: Headers;
}

/** The demo's HTTP client for the api it started: JSON in and out, one bearer token. */
export class DemoApi {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  async request(method: string, route: string, body?: unknown): Promise<ApiResponse> {
    const response = await fetch(`${this.baseUrl}${route}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : null, headers: response.headers };
  }

  /** The request, failing with the answer when its status is not the expected one. */
  async expect(method: string, route: string, status: number, body?: unknown): Promise<ApiResponse & { body: Row }> {
    const result = await this.request(method, route, body);
    if (result.status !== status) {
      throw new Error(`${method} ${route} answered ${result.status}, expected ${status}: ${JSON.stringify(result.body)}`);
    }
    return result as ApiResponse & { body: Row };
  }
}

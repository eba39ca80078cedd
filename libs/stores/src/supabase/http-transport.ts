import { STATUS_CODES } from 'node:http';
import { Agent, request, type Dispatcher } from 'undici';

/** Statuses whose answers have no body (the Response constructor refuses one for them). */
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/**
 * The Supabase store's HTTP transport, handed to supabase-js as its `fetch`: undici's `request()` on a keep-alive
 * agent of the store's own, answered with the whole body already read. Node's global fetch builds web streams, an
 * abort signal and a Response around every body; for the small JSON answers of PostgREST that took about
 * 0.5 ms of CPU a request more (BENCHMARKS.md, write protocol), on the write path of every sync to store B.
 *
 * `timeoutMs` bounds connecting, the wait for the answer's headers and every pause in its body: an endpoint that
 * accepts the connection and never answers fails with a timeout error instead of hanging.
 */
export class HttpTransport {
  private readonly agent: Agent;

  /** `connections`: most connections to one origin (default: no limit); more requests queue for one. */
  constructor(timeoutMs: number, connections?: number) {
    this.agent = new Agent({ headersTimeout: timeoutMs, bodyTimeout: timeoutMs, connect: { timeout: timeoutMs }, ...(connections ? { connections } : {}) });
  }

  readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    if (input instanceof Request) throw new TypeError('HttpTransport takes a URL and RequestInit, not a Request');
    const url = input.toString();
    const answer = await request(url, {
      method: (init?.method ?? 'GET').toUpperCase() as Dispatcher.HttpMethod,
      headers: headerRecord(init?.headers),
      body: bodyText(init?.body),
      signal: init?.signal ?? undefined,
      dispatcher: this.agent,
    });
    const text = await answer.body.text();
    const headers = new Headers();
    for (const [name, value] of Object.entries(answer.headers)) {
      if (Array.isArray(value)) for (const each of value) headers.append(name, each);
      else if (value !== undefined) headers.append(name, value);
    }
    return new BufferedResponse(url, answer.statusCode, headers, text);
  };

  /** Closes every connection; a request still waiting for its answer fails (a store closes after its callers). */
  async close(): Promise<void> {
    await this.agent.destroy();
  }
}

function headerRecord(headers: RequestInit['headers']): Record<string, string> {
  if (headers === undefined) return {};
  if (headers instanceof Headers || Array.isArray(headers)) return Object.fromEntries(headers);
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, typeof value === 'string' ? value : value.join(', ')]));
}

function bodyText(body: RequestInit['body']): string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body !== 'string') throw new TypeError('HttpTransport sends text bodies only (supabase-js sends JSON text)');
  return body;
}

/**
 * An answer whose body was read in full: text() and json() hand it over directly; the stream and binary views are
 * made on demand from the text, for a reader that asks for them.
 */
class BufferedResponse implements Response {
  readonly type: Response['type'] = 'basic';
  readonly redirected = false;
  bodyUsed = false;

  constructor(
    readonly url: string,
    readonly status: number,
    readonly headers: Headers,
    private readonly bodyText: string,
  ) {}

  /** HTTP/1.1's reason phrase for the status (undici's request() does not hand over the one sent). */
  get statusText(): string {
    return STATUS_CODES[this.status] ?? '';
  }

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  get body(): ReadableStream<Uint8Array> | null {
    return this.asResponse().body;
  }

  async text(): Promise<string> {
    this.bodyUsed = true;
    return this.bodyText;
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    return this.asResponse().arrayBuffer();
  }

  blob(): Promise<Blob> {
    return this.asResponse().blob();
  }

  formData(): Promise<FormData> {
    return this.asResponse().formData();
  }

  clone(): Response {
    return new BufferedResponse(this.url, this.status, new Headers(this.headers), this.bodyText);
  }

  private asResponse(): Response {
    this.bodyUsed = true;
    return new Response(NULL_BODY_STATUSES.has(this.status) ? null : this.bodyText, { status: this.status, statusText: this.statusText, headers: this.headers });
  }
}

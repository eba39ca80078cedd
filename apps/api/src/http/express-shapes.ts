import type { IncomingHttpHeaders } from 'node:http';

// @types/express is not installed; these are the few members of Express's request and response the API uses.

export interface ExpressRequestLike {
  path: string;
  headers: IncomingHttpHeaders;
}

export interface ExpressResponseLike {
  setHeader(name: string, value: string): unknown;
  status(code: number): ExpressResponseLike;
  json(body: unknown): unknown;
}

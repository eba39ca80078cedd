import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'pg';
import type { ApiMethod, ApiRequest, ApiResponse } from './api-types';
import { jsonContentType } from './api-types';
import { authenticate, type RequestClaims } from './auth';
import { PostgrestError, badRequest, toPostgrestError } from './postgrest-errors';
import { parsePreferences, type PreferAction } from './preferences';
import { parseQuery, parseRangeHeader } from './query-parser';
import { inRequestTransaction } from './request-transaction';
import { RoleSettingsCache } from './role-settings';
import { callFunction } from './rpc-handler';
import { deleteRows, insertRows, readTable, updateRows } from './table-handler';

export interface SupabaseLocalOptions {
  /** 0 picks a free port (tests). */
  port: number;
  databaseUrl: string;
  jwtSecret: string;
  /** Loopback only by default: this is a dev/test fixture. */
  host?: string;
  /** Schemas reachable through Accept-Profile / Content-Profile; the first is the default. Default ['public']. */
  schemas?: string[];
  /**
   * The connection pool, as PostgREST's `db-pool` and `db-pool-acquisition-timeout`: its size (default 10) and how
   * long a request waits for one of its connections before it gets 504 PGRST003 (default 10 s, as PostgREST).
   */
  pool?: { size?: number; acquisitionTimeoutMs?: number };
}

export interface SupabaseLocal {
  /** Project URL for createClient, e.g. http://127.0.0.1:54321 (the API lives under /rest/v1). */
  url: string;
  close(): Promise<void>;
}

const maxBodyBytes = 10 * 1024 * 1024;
const methods: readonly ApiMethod[] = ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'];

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) throw new PostgrestError(413, 'PGRST102', 'Request body too large', `The limit is ${maxBodyBytes} bytes.`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw badRequest('Empty or invalid json', error instanceof Error ? error.message : String(error), 'PGRST102');
  }
}

/** Accept-Profile (reads) or Content-Profile (writes) picks the schema among the exposed ones. */
function schemaOf(request: IncomingMessage, method: ApiMethod, schemas: string[]): string {
  const profile = header(request, method === 'GET' || method === 'HEAD' ? 'accept-profile' : 'content-profile');
  const schema = profile ?? (schemas[0] as string);
  if (!schemas.includes(schema)) {
    throw new PostgrestError(406, 'PGRST106', `The schema must be one of the following: ${schemas.join(', ')}`, `Invalid schema: ${schema}`);
  }
  return schema;
}

function checkAccept(request: IncomingMessage): boolean {
  const accept = header(request, 'accept') ?? '';
  if (/text\/csv|application\/geo\+json|vnd\.pgrst\.plan/.test(accept)) {
    throw new PostgrestError(406, 'PGRST107', 'None of these media types are available', `${accept} is not supported by supabase-local`);
  }
  return accept.includes('application/vnd.pgrst.object+json');
}

function actionOf(kind: 'table' | 'rpc', method: ApiMethod): PreferAction {
  if (kind === 'rpc') return 'rpc';
  return ({ GET: 'read', HEAD: 'read', POST: 'insert', PATCH: 'update', DELETE: 'delete' } as const)[method];
}

type Route = { kind: 'root' } | { kind: 'table'; name: string } | { kind: 'rpc'; name: string };

function routeOf(pathname: string): Route {
  const match = pathname.match(/^\/rest\/v1(?:\/(?:(rpc)\/)?([^/]*))?\/?$/);
  if (!match) throw new PostgrestError(404, 'PGRST125', `Invalid path specified in request URL: ${pathname}`);
  const name = decodeURIComponent(match[2] ?? '');
  if (name === '') return match[1] ? { kind: 'rpc', name } : { kind: 'root' };
  return match[1] ? { kind: 'rpc', name } : { kind: 'table', name };
}

/** What GET /rest/v1/ answers: PostgREST serves its OpenAPI description there; a stub says the same "I am up". */
const rootDocument = JSON.stringify({
  swagger: '2.0',
  info: { title: 'supabase-local', description: 'PostgREST-compatible /rest/v1 over PostgreSQL (dev/test only)' },
  paths: {},
});

export async function startSupabaseLocal(options: SupabaseLocalOptions): Promise<SupabaseLocal> {
  const schemas = options.schemas ?? ['public'];
  const pool = new Pool({ connectionString: options.databaseUrl, max: options.pool?.size ?? 10, connectionTimeoutMillis: options.pool?.acquisitionTimeoutMs ?? 10_000 });
  // A lost idle connection must not crash the endpoint; the next request reports it as 503.
  pool.on('error', () => undefined);
  const roleSettings = new RoleSettingsCache(options.databaseUrl);
  await roleSettings.start();

  /** `seen.claims` is filled once the key verified, so a failure can tell anon (42501 → 401) from others (403). */
  async function handle(request: IncomingMessage, seen: { claims?: RequestClaims }): Promise<ApiResponse> {
    const method = (request.method ?? 'GET').toUpperCase() as ApiMethod;
    const url = new URL(request.url ?? '/', 'http://localhost');
    const route = routeOf(url.pathname);
    const claims = authenticate(request.headers, options.jwtSecret);
    seen.claims = claims;
    if (!methods.includes(method)) throw new PostgrestError(405, 'PGRST117', `Unsupported HTTP method: ${method}`);
    const settings = { claims, roleSettings: roleSettings.for(claims.role), method, path: url.pathname };

    if (route.kind === 'root') {
      if (method !== 'GET' && method !== 'HEAD') throw new PostgrestError(405, 'PGRST117', `Unsupported HTTP method: ${method}`);
      await inRequestTransaction(pool, settings, (client) => client.query('select 1'));
      const headers = { 'Content-Type': 'application/openapi+json; charset=utf-8' };
      return { status: 200, headers, ...(method === 'GET' ? { body: rootDocument } : {}) };
    }

    const isRpcRead = route.kind === 'rpc' && (method === 'GET' || method === 'HEAD');
    const range = method === 'GET' || method === 'HEAD' ? parseRangeHeader(request.headers) : undefined;
    const action = actionOf(route.kind, method);
    const prefer = parsePreferences(request.headers['prefer'], action);
    const apiRequest: ApiRequest = {
      method,
      schema: schemaOf(request, method, schemas),
      query: parseQuery(url.searchParams, isRpcRead ? { filtersFromArguments: new Set(url.searchParams.keys()) } : {}),
      prefer,
      action,
      ...(range ? { range } : {}),
      singular: checkAccept(request),
      body: method === 'POST' || method === 'PATCH' ? await readBody(request) : undefined,
    };
    const transaction = { ...settings, end: prefer.tx ?? 'commit' };
    if (route.kind === 'rpc') {
      if (method !== 'POST' && !isRpcRead) throw new PostgrestError(405, 'PGRST117', `Unsupported HTTP method for /rpc: ${method}`);
      return inRequestTransaction(pool, transaction, (client) => callFunction(client, route.name, apiRequest));
    }
    const handler = { GET: readTable, HEAD: readTable, POST: insertRows, PATCH: updateRows, DELETE: deleteRows }[method];
    return inRequestTransaction(pool, transaction, (client) => handler(client, route.name, apiRequest));
  }

  function send(response: ServerResponse, answer: ApiResponse): void {
    response.writeHead(answer.status, answer.headers);
    response.end(answer.body);
  }

  const server = createServer((request, response) => {
    const seen: { claims?: RequestClaims } = {};
    handle(request, seen)
      .then((answer) => send(response, answer))
      .catch((error: unknown) => {
        const failure = toPostgrestError(error, (seen.claims?.role ?? 'anon') === 'anon');
        if (failure.status >= 500) process.stderr.write(`[supabase-local] ${request.method} ${request.url?.split('?')[0]}: ${failure.code} ${failure.message}\n`);
        // The body may still be arriving (an early 401/400); drain it so the connection stays usable.
        request.resume();
        send(response, { status: failure.status, headers: { 'Content-Type': jsonContentType }, body: JSON.stringify(failure.toBody()) });
      });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  }).catch(async (error: unknown) => {
    await roleSettings.close();
    await pool.end();
    throw error;
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    close: () => {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
          // Kept-alive connections that stay busy would keep the endpoint answering: a second of grace, then cut.
          setTimeout(() => server.closeAllConnections(), 1_000).unref();
        });
        await roleSettings.close();
        await pool.end();
      })();
      return closing;
    },
  };
}


import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { HttpTransport } from './http-transport';

describe('HttpTransport (supabase-js fetch over undici)', () => {
  let server: Server;
  let base: string;
  const seen: { method?: string; headers?: IncomingMessage['headers']; body?: string }[] = [];
  const transport = new HttpTransport(2_000);

  beforeAll(async () => {
    server = createServer((request: IncomingMessage, response: ServerResponse) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        seen.push({ method: request.method, headers: request.headers, body });
        if (request.url === '/empty') {
          response.writeHead(204, { 'Content-Range': '*/0' });
          response.end();
          return;
        }
        response.writeHead(201, { 'Content-Type': 'application/json', 'Content-Range': '0-1/*', 'Set-Cookie': ['a=1', 'b=2'] });
        response.end(JSON.stringify([{ id: 1 }, { id: 2 }]));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(async () => {
    await transport.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('sends the method, headers and JSON body, and answers with status, headers and the whole body', async () => {
    const response = await transport.fetch(`${base}/rest/v1/items`, {
      method: 'POST',
      headers: new Headers({ Prefer: 'return=representation', 'Content-Type': 'application/json' }),
      body: JSON.stringify([{ id: 1 }]),
    });

    expect(seen.at(-1)).toMatchObject({ method: 'POST', body: '[{"id":1}]', headers: expect.objectContaining({ prefer: 'return=representation' }) });
    expect(response.status).toBe(201);
    expect(response.statusText).toBe('Created');
    expect(response.ok).toBe(true);
    expect(response.headers.get('content-range')).toBe('0-1/*');
    expect(response.headers.get('set-cookie')).toBe('a=1, b=2');
    expect(await response.json()).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it('answers a 204 with an empty text and no body stream', async () => {
    const response = await transport.fetch(new URL('/empty', base), { method: 'DELETE', headers: { Prefer: 'return=minimal' } });

    expect(response.status).toBe(204);
    expect(response.headers.get('content-range')).toBe('*/0');
    expect(await response.text()).toBe('');
    expect(response.body).toBeNull();
  });

  it('gives the body as a stream to a reader that asks for one', async () => {
    const response = await transport.fetch(`${base}/rest/v1/items`);

    expect(await new Response(response.body).text()).toBe('[{"id":1},{"id":2}]');
  });
});

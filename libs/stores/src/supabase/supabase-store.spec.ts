import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import type { EntityDefinition } from '../entity/entity.types';
import { contractItems } from '../testing/contract-fixtures';
import { describeStoreContract } from '../testing/store-contract.suite';
import { RunKeys } from '../testing/run-keys';
import { StoreInvalidError, StoreUnavailableError } from '../store/store-errors';
import { SupabaseStore } from './supabase-store';
import { supabaseTestSettings, unreachableSupabase } from '../testing/supabase-test-env';

describeStoreContract('SupabaseStore (REST + direct Postgres)', async () => {
  const settings = supabaseTestSettings();
  return {
    store: new SupabaseStore(settings),
    createUnavailableStore: () => new SupabaseStore({ ...settings, ...unreachableSupabase, requestTimeoutMs: 2_000 }),
  };
});

describe('SupabaseStore', () => {
  const settings = supabaseTestSettings();
  const keys = new RunKeys();

  it('runs count, checksum and stream on the direct connection when SUPABASE_DB_URL is given', async () => {
    const store = new SupabaseStore(settings);
    try {
      expect(store.usesDirectConnection).toBe(true);
    } finally {
      await store.close();
    }
  });

  describe('against an endpoint that accepts connections but never answers', () => {
    let silent: Server;
    const sockets: Socket[] = [];

    beforeAll(async () => {
      silent = createServer((socket) => sockets.push(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    });

    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });

    it('gives up after the request timeout with unavailable instead of hanging', async () => {
      const address = silent.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const store = new SupabaseStore({ url: `http://127.0.0.1:${port}`, serviceRoleKey: settings.serviceRoleKey, requestTimeoutMs: 300 });
      const started = Date.now();

      const failure = await store.get(contractItems, keys.id()).catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(StoreUnavailableError);
      expect((failure as StoreUnavailableError).code).toBe('TIMEOUT');
      expect(Date.now() - started).toBeLessThan(5_000);
      await store.close();
    });
  });

  it('an API answering 503 (PostgREST lost its database) fails with unavailable', async () => {
    const failing = createHttpServer((_request, response) => {
      response.writeHead(503, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ code: 'PGRST001', message: 'Database client error. Retrying the connection.', details: null, hint: null }));
    });
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    const address = failing.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const store = new SupabaseStore({ url: `http://127.0.0.1:${port}`, serviceRoleKey: settings.serviceRoleKey });
    try {
      const failure = await store.insert(contractItems, { id: keys.id() }).catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(StoreUnavailableError);
      expect((failure as StoreUnavailableError).code).toBe('PGRST001');
    } finally {
      await store.close();
      await new Promise<void>((resolve) => failing.close(() => resolve()));
    }
  });

  describe('maps schema mistakes to invalid', () => {
    let store: SupabaseStore;

    beforeAll(() => {
      store = new SupabaseStore({ url: settings.url, serviceRoleKey: settings.serviceRoleKey });
    });

    afterAll(() => store.close());

    it('reading a table that does not exist fails with invalid', async () => {
      const missingTable: EntityDefinition = { ...contractItems, name: 'ghosts', table: 'table_that_does_not_exist' };
      await expect(store.get(missingTable, keys.id())).rejects.toBeInstanceOf(StoreInvalidError);
    });

    it('writing a column that does not exist fails with invalid', async () => {
      const extraColumn: EntityDefinition = {
        ...contractItems,
        fields: { ...contractItems.fields, colour: { type: 'string', column: 'column_that_does_not_exist' } },
      };
      await expect(store.update(extraColumn, keys.id(), { colour: 'red' })).rejects.toBeInstanceOf(StoreInvalidError);
    });

    it('a field the entity does not define fails with invalid, naming it', async () => {
      await expect(store.update(contractItems, keys.id(), { colour: 'red' })).rejects.toThrow('has no field "colour"');
    });
  });
});

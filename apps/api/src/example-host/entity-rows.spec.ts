import request from 'supertest';
import { v7 as uuidv7 } from 'uuid';
import { DEGRADED_ENV, testConfig } from '../testing/test-config';
import { PrimaryDatabase } from '../testing/primary-database';
import { startTestApiApp, type TestApiApp } from '../testing/test-api-app';

const runId = uuidv7();
const database = new PrimaryDatabase();
const createdUserIds: string[] = [];
let api: TestApiApp;

async function createUser(label: string): Promise<string> {
  const response = await request(api.server)
    .post('/api/users')
    .send({ email: `api-${label}-${runId}@example.test`, displayName: `API test ${label}` });
  expect(response.status).toBe(201);
  createdUserIds.push(response.body.id);
  return response.body.id;
}

beforeAll(async () => {
  api = await startTestApiApp(testConfig(DEGRADED_ENV));
});

afterAll(async () => {
  await database.deleteUsers(createdUserIds);
  await database.close();
  await api.close();
});

describe('example host CRUD under /api/:entity (store A)', () => {
  it('assigns a UUID v7 to a new user when the body has no id', async () => {
    const response = await request(api.server)
      .post('/api/users')
      .send({ email: `api-v7-${runId}@example.test`, displayName: 'API test v7' });
    createdUserIds.push(response.body.id);

    expect(response.status).toBe(201);
    expect(response.body.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('round-trips a budget: decimal amount as text, JSON metadata, patch, delete', async () => {
    const ownerId = await createUser('budget-owner');
    const metadata = { tags: ['travel', 'q3'], limits: { daily: 12.5 }, note: null };

    const created = await request(api.server)
      .post('/api/budgets')
      .send({ ownerId, name: 'Travel', amount: '1234.50', currency: 'EUR', metadata });
    const id = created.body.id;
    const read = await request(api.server).get(`/api/budgets/${id}`);
    const patched = await request(api.server).patch(`/api/budgets/${id}`).send({ amount: 99.99 });
    const deleted = await request(api.server).delete(`/api/budgets/${id}`);
    const afterDelete = await request(api.server).get(`/api/budgets/${id}`);

    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ownerId, name: 'Travel', amount: '1234.5', currency: 'EUR', metadata });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
    expect(patched.status).toBe(200);
    // A patch keeps what it does not name (the contract's metadata default must not reset it).
    expect(patched.body).toMatchObject({ amount: '99.99', name: 'Travel', metadata });
    expect(deleted.status).toBe(200);
    expect(deleted.body.id).toBe(id);
    expect(afterDelete.status).toBe(404);
    expect(afterDelete.body.message).toBe(`budgets ${id} does not exist.`);
  });

  it('round-trips a comment whose serial id comes from the database', async () => {
    const authorId = await createUser('comment-author');
    const post = await request(api.server).post('/api/posts').send({ authorId, title: 'Hello', body: 'First post' });

    const created = await request(api.server)
      .post('/api/comments')
      .send({ postId: post.body.id, authorId, body: 'Nice post' });
    const read = await request(api.server).get(`/api/comments/${created.body.id}`);
    const patched = await request(api.server).patch(`/api/comments/${created.body.id}`).send({ body: 'Edited' });
    const deleted = await request(api.server).delete(`/api/comments/${created.body.id}`);

    expect(post.status).toBe(201);
    expect(created.status).toBe(201);
    expect(Number.isInteger(created.body.id)).toBe(true);
    expect(read.body).toMatchObject({ id: created.body.id, postId: post.body.id, body: 'Nice post' });
    expect(patched.body).toMatchObject({ id: created.body.id, body: 'Edited' });
    expect(deleted.status).toBe(200);
    expect(await database.count('comments', 'id = $1', [created.body.id])).toBe(0);
  });

  it('rejects a client-chosen serial id with 400', async () => {
    const response = await request(api.server).post('/api/comments').send({ id: 999_999, postId: uuidv7(), authorId: uuidv7(), body: 'x' });

    expect(response.status).toBe(400);
    expect(response.body.issues).toEqual([{ path: 'id', message: 'assigned by the database (serial key); leave it out' }]);
  });

  it('pages in key order with limit and after', async () => {
    const ownerId = await createUser('pager');
    // Three ids one apart in key order, so no other row can sort between them.
    const base = uuidv7().slice(0, -1);
    const ids = ['1', '2', '3'].map((digit) => `${base}${digit}`);
    for (const id of ids) {
      const created = await request(api.server).post('/api/budgets').send({ id, ownerId, name: id, amount: 1, currency: 'USD' });
      expect(created.status).toBe(201);
    }

    const page = await request(api.server).get('/api/budgets').query({ limit: 1, after: ids[0] });

    expect(page.status).toBe(200);
    expect(page.body.rows.map((row: { id: string }) => row.id)).toEqual([ids[1]]);
    expect(page.body.nextAfter).toBe(ids[1]);
  });

  it('rejects an invalid body with 400 naming the field and writes nothing', async () => {
    const ownerId = await createUser('invalid-body');
    const before = await database.count('budgets', 'owner_id = $1', [ownerId]);

    const response = await request(api.server)
      .post('/api/budgets')
      .send({ ownerId, name: 'Bad', amount: 'twelve', currency: 'EUR' });

    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'Invalid budgets body: amount: must be a decimal with at most 12 digits and 2 decimals',
      issues: [{ path: 'amount', message: 'must be a decimal with at most 12 digits and 2 decimals' }],
    });
    expect(await database.count('budgets', 'owner_id = $1', [ownerId])).toBe(before);
  });

  it('rejects a field the entity does not have with 400 naming it', async () => {
    const ownerId = await createUser('unknown-field');

    const response = await request(api.server)
      .post('/api/budgets')
      .send({ ownerId, name: 'Extra', amount: 1, currency: 'EUR', colour: 'red' });

    expect(response.status).toBe(400);
    expect(response.body.issues).toEqual([{ path: 'colour', message: expect.stringContaining('unknown field') }]);
  });

  it('answers 404 naming an unknown entity', async () => {
    const response = await request(api.server).get('/api/invoices');

    expect(response.status).toBe(404);
    expect(response.body.message).toBe('Unknown entity "invoices". Known entities: users, budgets, posts, comments.');
  });

  it('answers 409 when a budget id already exists, keeping the first row', async () => {
    const ownerId = await createUser('duplicate');
    const id = uuidv7();
    const first = await request(api.server).post('/api/budgets').send({ id, ownerId, name: 'First', amount: 1, currency: 'EUR' });

    const second = await request(api.server).post('/api/budgets').send({ id, ownerId, name: 'Second', amount: 2, currency: 'EUR' });
    const stored = await request(api.server).get(`/api/budgets/${id}`);

    expect(first.status).toBe(201);
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ statusCode: 409, error: 'Conflict', kind: 'conflict', store: 'prisma' });
    expect(stored.body.name).toBe('First');
  });

  it('answers 400 for an id that is not the key type', async () => {
    const response = await request(api.server).get('/api/comments/not-a-number');

    expect(response.status).toBe(400);
    expect(response.body.message).toBe('Invalid comments id "not-a-number": must be a positive integer.');
  });

  it('answers 404 when patching a row that does not exist', async () => {
    const response = await request(api.server).patch(`/api/budgets/${uuidv7()}`).send({ name: 'Ghost' });

    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ kind: 'not_found', store: 'prisma' });
  });
});

import { budgetsEntity, commentsEntity, postsEntity } from '@dualwrite/example-domain';
import { retryMismatch, type RequestedWrite } from './retry-match';

const key = '01a22fdd-ca0d-76ea-86a8-cda6e0909b95';
const budget = { id: key, ownerId: 'owner-1', name: 'Rent', amount: '900.00', currency: 'EUR', metadata: { tags: ['home'], note: 'monthly' } };
const recorded = { entity: 'budgets', operation: 'create' as const, entityIds: [key], payload: { ...budget, createdAt: '2026-12-01T04:00:00.000Z', updatedAt: '2026-12-01T04:00:00.000Z' } };
const retry = (overrides: Partial<RequestedWrite> = {}): RequestedWrite => ({
  entity: budgetsEntity,
  operation: 'create',
  keys: [key],
  payload: { ...budget, createdAt: new Date('2026-12-01T04:05:00.000Z'), updatedAt: new Date('2026-12-01T04:05:00.000Z') },
  ...overrides,
});

describe('retryMismatch: is a request reusing an operation id a retry of the recorded write?', () => {
  it('the same write, stamped again with other timestamps and its fields in another order, is a retry', () => {
    const reordered = { metadata: { note: 'monthly', tags: ['home'] }, currency: 'EUR', amount: '900.00', name: 'Rent', ownerId: 'owner-1', id: key };
    expect(retryMismatch(recorded, retry())).toBeNull();
    expect(retryMismatch(recorded, retry({ payload: reordered }))).toBeNull();
  });

  it('another entity or another kind of write is refused, naming the recorded one', () => {
    expect(retryMismatch(recorded, retry({ entity: postsEntity }))).toBe(`already used for a create of budgets ${key}`);
    expect(retryMismatch(recorded, retry({ operation: 'update' }))).toBe(`already used for a create of budgets ${key}`);
  });

  it('another key is refused', () => {
    expect(retryMismatch(recorded, retry({ keys: ['01a22fdd-0000-7000-8000-000000000000'] }))).toBe(`already used for a create of budgets ${key}`);
  });

  it('the same key with another payload is refused, saying so', () => {
    expect(retryMismatch(recorded, retry({ payload: { ...budget, amount: '901.00' } }))).toBe(`already used for a create of budgets ${key} with another payload`);
    expect(retryMismatch(recorded, retry({ payload: { ...budget, metadata: { tags: ['work'], note: 'monthly' } } }))).toMatch(/with another payload$/);
  });

  it('a serial create compares its payload only: the retry has no key yet, the record may have one', () => {
    const comment = { postId: key, authorId: 'owner-1', body: 'hello' };
    const recordedComment = { entity: 'comments', operation: 'create' as const, entityIds: ['101'], payload: comment };
    expect(retryMismatch(recordedComment, { entity: commentsEntity, operation: 'create', keys: [], payload: comment })).toBeNull();
    expect(retryMismatch(recordedComment, { entity: commentsEntity, operation: 'create', keys: [], payload: { ...comment, body: 'bye' } })).toBe(
      'already used for a create of comments 101 with another payload',
    );
  });

  it('a batch compares its rows in order', () => {
    const rows = [budget, { ...budget, id: '01a22fdd-0000-7000-8000-000000000001' }];
    const recordedBatch = { entity: 'budgets', operation: 'batch' as const, entityIds: rows.map((row) => row.id), payload: rows };
    const requested = { entity: budgetsEntity, operation: 'batch' as const, keys: rows.map((row) => row.id), payload: rows };
    expect(retryMismatch(recordedBatch, requested)).toBeNull();
    expect(retryMismatch(recordedBatch, { ...requested, payload: [rows[0], { ...rows[1], name: 'other' }] })).toMatch(/with another payload$/);
  });
});

import { z } from 'zod';
import type { EntityDefinition } from '@dualwrite/stores';

/**
 * The example domain used by the demo, the example host app and the tests:
 * users own budgets and write posts; comments (serial keys) belong to a post and a user.
 */

const timestamps = {
  createdAt: { type: 'timestamp', column: 'created_at', generated: true },
  updatedAt: { type: 'timestamp', column: 'updated_at', generated: true },
} as const;

const isoDate = z.coerce.date();

export const userContract = z.object({
  id: z.uuid(),
  email: z.email().max(320),
  displayName: z.string().min(1).max(200),
  createdAt: isoDate.optional(),
  updatedAt: isoDate.optional(),
});

export const budgetContract = z.object({
  id: z.uuid(),
  ownerId: z.uuid(),
  name: z.string().min(1).max(200),
  amount: z
    .union([z.string(), z.number()])
    .transform((value) => String(value))
    .refine((value) => /^-?\d{1,12}(\.\d{1,2})?$/.test(value), 'must be a decimal with at most 12 digits and 2 decimals'),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be a 3-letter ISO currency code'),
  metadata: z.record(z.string(), z.unknown()).default({}),
  createdAt: isoDate.optional(),
  updatedAt: isoDate.optional(),
});

export const postContract = z.object({
  id: z.uuid(),
  authorId: z.uuid(),
  title: z.string().min(1).max(300),
  body: z.string(),
  published: z.boolean().default(false),
  createdAt: isoDate.optional(),
  updatedAt: isoDate.optional(),
});

export const commentContract = z.object({
  id: z.number().int().positive().optional(),
  postId: z.uuid(),
  authorId: z.uuid(),
  body: z.string().min(1).max(10_000),
  createdAt: isoDate.optional(),
  updatedAt: isoDate.optional(),
});

export const usersEntity: EntityDefinition = {
  name: 'users',
  table: 'users',
  prismaModel: 'user',
  primaryKey: 'id',
  keyStrategy: 'uuid',
  versionField: 'updatedAt',
  ownerField: 'id',
  fields: {
    id: { type: 'uuid', column: 'id' },
    email: { type: 'string', column: 'email' },
    displayName: { type: 'string', column: 'display_name' },
    ...timestamps,
  },
  contract: userContract,
};

export const budgetsEntity: EntityDefinition = {
  name: 'budgets',
  table: 'budgets',
  prismaModel: 'budget',
  primaryKey: 'id',
  keyStrategy: 'uuid',
  versionField: 'updatedAt',
  ownerField: 'ownerId',
  fields: {
    id: { type: 'uuid', column: 'id' },
    ownerId: { type: 'uuid', column: 'owner_id' },
    name: { type: 'string', column: 'name' },
    amount: { type: 'decimal', column: 'amount' },
    currency: { type: 'string', column: 'currency' },
    metadata: { type: 'json', column: 'metadata', generated: true },
    ...timestamps,
  },
  contract: budgetContract,
};

export const postsEntity: EntityDefinition = {
  name: 'posts',
  table: 'posts',
  prismaModel: 'post',
  primaryKey: 'id',
  keyStrategy: 'uuid',
  versionField: 'updatedAt',
  ownerField: 'authorId',
  fields: {
    id: { type: 'uuid', column: 'id' },
    authorId: { type: 'uuid', column: 'author_id' },
    title: { type: 'string', column: 'title' },
    body: { type: 'string', column: 'body' },
    published: { type: 'boolean', column: 'published', generated: true },
    ...timestamps,
  },
  contract: postContract,
};

export const commentsEntity: EntityDefinition = {
  name: 'comments',
  table: 'comments',
  prismaModel: 'comment',
  primaryKey: 'id',
  keyStrategy: 'serial',
  versionField: 'updatedAt',
  ownerField: 'authorId',
  fields: {
    id: { type: 'int', column: 'id', generated: true },
    postId: { type: 'uuid', column: 'post_id' },
    authorId: { type: 'uuid', column: 'author_id' },
    body: { type: 'string', column: 'body' },
    ...timestamps,
  },
  contract: commentContract,
};

/** Parent tables first: the order to insert in, and the reverse order to delete in. */
export const exampleEntities: EntityDefinition[] = [usersEntity, budgetsEntity, postsEntity, commentsEntity];

import { z } from 'zod';
import type { EntityDefinition } from '../entity/entity.types';
import type { InMemorySchema } from './in-memory-store';

/**
 * The store contract suite's own fixture entities, over the `contract_*` tables that both stores' migrations
 * install (prisma/migrations and supabase/migrations, `20261129000000_store_contract_fixtures`). They cover
 * every field type and both key strategies: owners own items (decimal, 3-letter text, json) and write posts
 * (boolean with a database default); notes (serial keys) belong to a post and an owner. Deleting an owner
 * cascades to its items, posts and notes. Specs of @dualwrite/stores use these, never a host's domain.
 */

const timestamps = {
  createdAt: { type: 'timestamp', column: 'created_at', generated: true },
  updatedAt: { type: 'timestamp', column: 'updated_at', generated: true },
} as const;

const isoDate = z.coerce.date();

export const contractOwnerContract = z.object({
  id: z.uuid(),
  email: z.email().max(320),
  displayName: z.string().min(1).max(200),
  createdAt: isoDate.optional(),
  updatedAt: isoDate.optional(),
});

export const contractItemContract = z.object({
  id: z.uuid(),
  ownerId: z.uuid(),
  name: z.string().min(1).max(200),
  amount: z
    .union([z.string(), z.number()])
    .transform((value) => String(value))
    .refine((value) => /^-?\d{1,12}(\.\d{1,2})?$/.test(value), 'must be a decimal with at most 12 digits and 2 decimals'),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be 3 capital letters'),
  metadata: z.record(z.string(), z.unknown()).default({}),
  createdAt: isoDate.optional(),
  updatedAt: isoDate.optional(),
});

export const contractPostContract = z.object({
  id: z.uuid(),
  authorId: z.uuid(),
  title: z.string().min(1).max(300),
  body: z.string(),
  published: z.boolean().default(false),
  createdAt: isoDate.optional(),
  updatedAt: isoDate.optional(),
});

export const contractNoteContract = z.object({
  id: z.number().int().positive().optional(),
  postId: z.uuid(),
  authorId: z.uuid(),
  body: z.string().min(1).max(10_000),
  createdAt: isoDate.optional(),
  updatedAt: isoDate.optional(),
});

export const contractOwners: EntityDefinition = {
  name: 'contract_owners',
  table: 'contract_owners',
  prismaModel: 'contractOwner',
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
  contract: contractOwnerContract,
};

export const contractItems: EntityDefinition = {
  name: 'contract_items',
  table: 'contract_items',
  prismaModel: 'contractItem',
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
  contract: contractItemContract,
};

export const contractPosts: EntityDefinition = {
  name: 'contract_posts',
  table: 'contract_posts',
  prismaModel: 'contractPost',
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
  contract: contractPostContract,
};

export const contractNotes: EntityDefinition = {
  name: 'contract_notes',
  table: 'contract_notes',
  prismaModel: 'contractNote',
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
  contract: contractNoteContract,
};

/** Parent tables first: the order to insert in, and the reverse order to delete in. */
export const contractFixtures: EntityDefinition[] = [contractOwners, contractItems, contractPosts, contractNotes];

/**
 * What the migration declares beyond the entities, for InMemoryStore: every foreign key cascades on delete,
 * owners' emails are unique, and the defaults of the generated fields that are not timestamps or serial keys.
 */
export const contractFixtureSchema: InMemorySchema = {
  foreignKeys: [
    { entity: contractItems.name, field: 'ownerId', references: { entity: contractOwners.name, field: 'id' }, onDelete: 'cascade' },
    { entity: contractPosts.name, field: 'authorId', references: { entity: contractOwners.name, field: 'id' }, onDelete: 'cascade' },
    { entity: contractNotes.name, field: 'postId', references: { entity: contractPosts.name, field: 'id' }, onDelete: 'cascade' },
    { entity: contractNotes.name, field: 'authorId', references: { entity: contractOwners.name, field: 'id' }, onDelete: 'cascade' },
  ],
  unique: [{ entity: contractOwners.name, fields: ['email'] }],
  defaults: {
    [contractItems.name]: { metadata: {} },
    [contractPosts.name]: { published: false },
  },
};

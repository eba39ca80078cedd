import { commentsEntity, usersEntity } from '@dualwrite/example-domain';
import type { EntityDefinition } from '@dualwrite/stores';
import type { TableCatalog } from '../pipeline/schema-catalog';
import { planSchemaSync } from './schema-sync-plan';

const col = (type: string, nullable = false, fallback: string | null = null) => ({ type, nullable, default: fallback });
const usersTable = (overrides: Partial<TableCatalog> = {}): TableCatalog => ({
  columns: {
    id: col('uuid'),
    email: col('text'),
    display_name: col('text'),
    created_at: col('timestamp(3) with time zone', false, 'now()'),
    updated_at: col('timestamp(3) with time zone', false, 'now()'),
  },
  indexes: { users_pkey: 'CREATE UNIQUE INDEX users_pkey ON public.users USING btree (id)' },
  constraints: { users_pkey: 'PRIMARY KEY (id)' },
  rlsEnabled: true,
  policies: {
    users_owner_all: { command: 'ALL', roles: ['anon', 'authenticated'], using: '(id = auth.uid())', check: '(id = auth.uid())' },
    users_service_role_all: { command: 'ALL', roles: ['service_role'], using: 'true', check: 'true' },
  },
  ...overrides,
});

describe('planSchemaSync', () => {
  it('finds nothing when the table has every column, its key, RLS and both policies', () => {
    expect(planSchemaSync([usersEntity], { users: usersTable() })).toEqual([]);
  });

  it('plans a missing serial-keyed table with RLS, both policies, grants (sequence too) and the owner index', () => {
    const [finding] = planSchemaSync([commentsEntity], {});

    expect(finding).toMatchObject({ kind: 'missing_table', table: 'comments', fixable: true });
    expect(finding.sql).toEqual([
      [
        'create table public."comments" (',
        '  "id" serial primary key,',
        '  "post_id" uuid not null,',
        '  "author_id" uuid not null,',
        '  "body" text not null,',
        '  "created_at" timestamptz(3) not null default now(),',
        '  "updated_at" timestamptz(3) not null default now()',
        ')',
      ].join('\n'),
      'alter table public."comments" enable row level security',
      'create policy "comments_service_role_all" on public."comments" for all to service_role using (true) with check (true)',
      'create policy "comments_owner_all" on public."comments" for all to anon, authenticated using ("author_id" = auth.uid()) with check ("author_id" = auth.uid())',
      'grant select, insert, update, delete on public."comments" to anon, authenticated, service_role',
      'grant usage, select on sequence public."comments_id_seq" to anon, authenticated, service_role',
      'create index "comments_author_id_idx" on public."comments" ("author_id")',
    ]);
  });

  it('adds a missing required column without a default as nullable, and says so', () => {
    const table = usersTable();
    delete table.columns.display_name;

    expect(planSchemaSync([usersEntity], { users: table })).toEqual([
      {
        kind: 'missing_column',
        entity: 'users',
        table: 'users',
        name: 'display_name',
        detail: 'column users.display_name (string) does not exist (added as nullable: existing rows have no value; set NOT NULL after a backfill)',
        fixable: true,
        sql: ['alter table public."users" add column "display_name" text'],
      },
    ]);
  });

  it('accepts char(n) and varchar for a string field, refuses to fix a wrong type or a missing primary key', () => {
    const table = usersTable({ constraints: {} });
    table.columns.email = col('character varying(320)');
    table.columns.display_name = col('integer');

    expect(planSchemaSync([usersEntity], { users: table }).map(({ kind, name, fixable }) => [kind, name, fixable])).toEqual([
      ['column_type_mismatch', 'display_name', false],
      ['missing_primary_key', 'id', false],
    ]);
  });

  it('recognises the service-role policy by what it does, not by its name; an owner policy must filter on the owner column', () => {
    const table = usersTable({
      policies: {
        anything: { command: 'ALL', roles: ['service_role'], using: 'true', check: 'true' },
        owners: { command: 'ALL', roles: ['authenticated'], using: '(email = (auth.jwt() ->> \'email\'))', check: null },
      },
    });

    expect(planSchemaSync([usersEntity], { users: table }).map(({ kind }) => kind)).toEqual(['missing_owner_policy']);
  });

  it('an entity without an owner field needs no owner policy and no owner index', () => {
    const plain: EntityDefinition = { ...usersEntity, ownerField: undefined };
    const table = usersTable({ policies: { users_service_role_all: usersTable().policies.users_service_role_all } });

    expect(planSchemaSync([plain], { users: table })).toEqual([]);
  });
});

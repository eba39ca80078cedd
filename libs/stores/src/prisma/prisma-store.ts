import type { EntityDefinition, Row, RowKey } from '../entity/entity.types';
import { patchWithoutKey, primaryKeyOf, toCanonicalRow } from '../store/canonical-row';
import { toStoreErrorFromPrisma } from './prisma-errors';
import { buildHighestKeySql, buildKeepSequenceAboveSql, buildRangeChecksumSql, buildRangeCountSql, readCount, readHighestKey, readRangeChecksumRow } from '../store/sql-checksum';
import { StoreInvalidError } from '../store/store-errors';
import type { KeyRange, Page, PageRequest, RangeChecksum, StoreHealth, StorePlugin } from '../store/store.types';

/** What PrismaStore needs from a Prisma client (or from the client an interactive transaction hands out). */
export interface PrismaQueryable {
  $queryRawUnsafe(query: string, ...values: unknown[]): PromiseLike<unknown>;
}

export interface PrismaClientLike extends PrismaQueryable {
  $transaction<R>(fn: (tx: PrismaQueryable) => Promise<R>, options?: { maxWait?: number; timeout?: number }): PromiseLike<R>;
  $disconnect(): PromiseLike<void>;
}

/** The model delegate methods the store calls (`client.budget.findUnique(...)` and friends). */
interface PrismaModelDelegate {
  findUnique(args: object): PromiseLike<unknown>;
  findMany(args: object): PromiseLike<unknown>;
  create(args: object): PromiseLike<unknown>;
  createManyAndReturn(args: object): PromiseLike<unknown>;
  update(args: object): PromiseLike<unknown>;
  upsert(args: object): PromiseLike<unknown>;
  delete(args: object): PromiseLike<unknown>;
}

const DELEGATE_METHODS = ['findUnique', 'findMany', 'create', 'createManyAndReturn', 'update', 'upsert', 'delete'] as const;

function isModelDelegate(value: unknown): value is PrismaModelDelegate {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return DELEGATE_METHODS.every((method) => typeof candidate[method] === 'function');
}

function isRow(value: unknown): value is Row {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export interface PrismaStoreOptions {
  /** Store name used in errors, health and reports. Default `prisma`. */
  name?: string;
  /** Disconnect the client on close(); leave false when the host shares its client. Default false. */
  ownsClient?: boolean;
  /** Interactive transaction timeout for batchUpsert. Default 30 s. */
  transactionTimeoutMs?: number;
  /** Rows per keyset page when streaming. Default 500. */
  defaultBatchSize?: number;
}

/** Store plugin over a Prisma client: row operations through model delegates, checksums pushed down as SQL. */
export class PrismaStore implements StorePlugin {
  readonly name: string;
  private readonly ownsClient: boolean;
  private readonly transactionTimeoutMs: number;
  private readonly defaultBatchSize: number;

  constructor(
    private readonly client: PrismaClientLike,
    options: PrismaStoreOptions = {},
  ) {
    this.name = options.name ?? 'prisma';
    this.ownsClient = options.ownsClient ?? false;
    this.transactionTimeoutMs = options.transactionTimeoutMs ?? 30_000;
    this.defaultBatchSize = options.defaultBatchSize ?? 500;
  }

  async get(entity: EntityDefinition, id: RowKey): Promise<Row | null> {
    return this.run(async () => {
      const found = await this.delegate(this.client, entity).findUnique({ where: this.keyWhere(entity, id) });
      return found === null ? null : this.toRow(entity, found);
    });
  }

  async insert(entity: EntityDefinition, row: Row): Promise<Row> {
    return this.run(async () => {
      const created = await this.delegate(this.client, entity).create({ data: this.toData(entity, row) });
      return this.toRow(entity, created);
    });
  }

  async insertMany(entity: EntityDefinition, rows: Row[]): Promise<Row[]> {
    if (rows.length === 0) return [];
    return this.run(async () => {
      const created = await this.delegate(this.client, entity).createManyAndReturn({ data: rows.map((row) => this.toData(entity, row)) });
      return this.toRows(entity, created);
    });
  }

  async update(entity: EntityDefinition, id: RowKey, patch: Row): Promise<Row> {
    return this.run(async () => {
      const data = this.toData(entity, patchWithoutKey(this.name, entity, id, patch));
      const updated = await this.delegate(this.client, entity).update({ where: this.keyWhere(entity, id), data });
      return this.toRow(entity, updated);
    });
  }

  async upsert(entity: EntityDefinition, row: Row): Promise<Row> {
    return this.run(async () => this.toRow(entity, await this.upsertWith(this.client, entity, row)));
  }

  async delete(entity: EntityDefinition, id: RowKey): Promise<Row> {
    return this.run(async () => {
      const deleted = await this.delegate(this.client, entity).delete({ where: this.keyWhere(entity, id) });
      return this.toRow(entity, deleted);
    });
  }

  async batchUpsert(entity: EntityDefinition, rows: Row[]): Promise<number> {
    return (await this.upsertMany(entity, rows)).length;
  }

  async upsertMany(entity: EntityDefinition, rows: Row[]): Promise<Row[]> {
    if (rows.length === 0) return [];
    return this.run(() =>
      Promise.resolve(
        this.client.$transaction(
          async (tx) => {
            const stored: Row[] = [];
            for (const row of rows) stored.push(this.toRow(entity, await this.upsertWith(tx, entity, row)));
            return stored;
          },
          { timeout: this.transactionTimeoutMs },
        ),
      ),
    );
  }

  async findManyByIds(entity: EntityDefinition, ids: RowKey[]): Promise<Row[]> {
    if (ids.length === 0) return [];
    return this.run(async () => {
      const found = await this.delegate(this.client, entity).findMany({
        where: { [entity.primaryKey]: { in: ids } },
        orderBy: { [entity.primaryKey]: 'asc' },
      });
      return this.toRows(entity, found);
    });
  }

  async page(entity: EntityDefinition, request: PageRequest): Promise<Page> {
    return this.run(() => this.pageWithin(entity, {}, request));
  }

  async count(entity: EntityDefinition, range?: KeyRange): Promise<number> {
    return this.run(async () => {
      const query = buildRangeCountSql(entity, range);
      const [row] = await this.queryRows(query.text, query.values);
      return readCount(isRow(row) ? row['row_count'] : undefined);
    });
  }

  async checksum(entity: EntityDefinition, range?: KeyRange): Promise<RangeChecksum> {
    return this.run(async () => {
      const query = buildRangeChecksumSql(entity, range);
      const [row] = await this.queryRows(query.text, query.values);
      return readRangeChecksumRow(row);
    });
  }

  async *stream(entity: EntityDefinition, options: { batchSize?: number; range?: KeyRange } = {}): AsyncIterable<Row> {
    const limit = options.batchSize ?? this.defaultBatchSize;
    let after: RowKey | undefined;
    for (;;) {
      const page = await this.run(() => this.pageWithin(entity, options.range ?? {}, { after, limit }));
      yield* page.rows;
      if (page.nextAfter === null) return;
      after = page.nextAfter;
    }
  }

  async ping(): Promise<StoreHealth> {
    const started = performance.now();
    try {
      await this.client.$queryRawUnsafe('select 1');
      return { store: this.name, ok: true, latencyMs: Math.round(performance.now() - started) };
    } catch (error) {
      const mapped = toStoreErrorFromPrisma(this.name, error);
      return { store: this.name, ok: false, latencyMs: Math.round(performance.now() - started), detail: mapped.message };
    }
  }

  async highestKey(entity: EntityDefinition): Promise<number | null> {
    return this.run(async () => {
      const query = buildHighestKeySql(entity);
      const [row] = await this.queryRows(query.text, query.values);
      return readHighestKey(isRow(row) ? row['highest'] : undefined);
    });
  }

  async keepSequenceAbove(entity: EntityDefinition, key: number): Promise<void> {
    const query = buildKeepSequenceAboveSql(entity, key);
    await this.run(async () => this.client.$queryRawUnsafe(query.text, ...query.values));
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.client.$disconnect();
  }

  // -------------------------------------------------------------------------------------------

  private async pageWithin(entity: EntityDefinition, range: KeyRange, request: PageRequest): Promise<Page> {
    if (!Number.isInteger(request.limit) || request.limit < 1) {
      throw new StoreInvalidError(this.name, `page limit must be a positive integer, got ${request.limit}`);
    }
    const keyFilter: Record<string, RowKey> = {};
    if (range.from !== undefined) keyFilter['gte'] = range.from;
    if (range.to !== undefined) keyFilter['lt'] = range.to;
    if (request.after !== undefined) keyFilter['gt'] = request.after;
    // One row more than asked tells whether another page follows.
    const found = await this.delegate(this.client, entity).findMany({
      where: Object.keys(keyFilter).length ? { [entity.primaryKey]: keyFilter } : {},
      orderBy: { [entity.primaryKey]: 'asc' },
      take: request.limit + 1,
    });
    const rows = this.toRows(entity, found);
    const hasMore = rows.length > request.limit;
    const pageRows = hasMore ? rows.slice(0, request.limit) : rows;
    const last = pageRows[pageRows.length - 1];
    return { rows: pageRows, nextAfter: hasMore && last ? (primaryKeyOf(entity, last) ?? null) : null };
  }

  private async upsertWith(client: object, entity: EntityDefinition, row: Row): Promise<unknown> {
    const id = primaryKeyOf(entity, row);
    const data = this.toData(entity, row);
    const delegate = this.delegate(client, entity);
    // A row without its key (serial entities) can only be new.
    if (id === undefined) return delegate.create({ data });
    const { [entity.primaryKey]: _key, ...updateData } = data;
    return delegate.upsert({ where: this.keyWhere(entity, id), create: data, update: updateData });
  }

  private async queryRows(sql: string, values: RowKey[]): Promise<unknown[]> {
    const result = await this.client.$queryRawUnsafe(sql, ...values);
    if (!Array.isArray(result)) throw new Error('Raw query did not return rows.');
    return result;
  }

  private delegate(client: object, entity: EntityDefinition): PrismaModelDelegate {
    const delegate = (client as Record<string, unknown>)[entity.prismaModel];
    if (!isModelDelegate(delegate)) {
      throw new StoreInvalidError(
        this.name,
        `entity "${entity.name}": the Prisma client has no model "${entity.prismaModel}" (check prismaModel)`,
      );
    }
    return delegate;
  }

  private keyWhere(entity: EntityDefinition, id: RowKey): Record<string, RowKey> {
    return { [entity.primaryKey]: id };
  }

  /** Canonical row → Prisma `data`: domain names are the model's field names; decimals go as strings. */
  private toData(entity: EntityDefinition, row: Row): Row {
    const data: Row = {};
    for (const [field, value] of Object.entries(row)) {
      if (!entity.fields[field]) throw new StoreInvalidError(this.name, `entity "${entity.name}" has no field "${field}"`);
      if (value !== undefined) data[field] = value;
    }
    return data;
  }

  private toRow(entity: EntityDefinition, value: unknown): Row {
    if (!isRow(value)) throw new Error(`Prisma returned no row for ${entity.name}.`);
    return toCanonicalRow(entity, value);
  }

  private toRows(entity: EntityDefinition, value: unknown): Row[] {
    if (!Array.isArray(value)) throw new Error(`Prisma returned no rows for ${entity.name}.`);
    return value.map((item) => this.toRow(entity, item));
  }

  private async run<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw toStoreErrorFromPrisma(this.name, error);
    }
  }
}

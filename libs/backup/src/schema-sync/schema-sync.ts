import { Client } from 'pg';
import type { EntityDefinition } from '@dualwrite/stores';
import { withConnectionRetry, type ConnectionRetrySettings } from '../pipeline/connection-retry';
import { databaseNameOf, redactDatabaseUrl } from '../pipeline/database-url';
import { readSchemaCatalog } from '../pipeline/schema-catalog';
import { planSchemaSync, type SchemaSyncFinding } from './schema-sync-plan';

export interface SchemaSyncReport {
  /** Store B's database name (never the connection string). */
  database: string;
  entities: string[];
  findings: SchemaSyncFinding[];
  /** No finding at all. */
  clean: boolean;
}

export interface SchemaSyncResult {
  /** The fixable findings before, each with the SQL that was run for it. */
  applied: SchemaSyncFinding[];
  /** What a fresh inspection finds after the commit (only the findings that need a decision, when all went well). */
  after: SchemaSyncReport;
}

export class SchemaSyncError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SchemaSyncError';
  }
}

/**
 * Schema sync for store B: compares the entity registry with the tables of store B's Postgres (SUPABASE_DB_URL)
 * and creates what is missing (tables, columns, indexes, RLS, policies) in one transaction: all of it or nothing.
 */
export class SchemaSync {
  constructor(
    private readonly databaseUrl: string,
    private readonly entities: EntityDefinition[],
    private readonly retry?: ConnectionRetrySettings,
  ) {}

  inspect(): Promise<SchemaSyncReport> {
    return this.onDatabase(async (client) => this.reportOf(client));
  }

  async apply(): Promise<SchemaSyncResult> {
    return this.onDatabase(async (client) => {
      await client.query('begin');
      let applied: SchemaSyncFinding[];
      try {
        // Nobody changes store B's tables while we look and fix: one sync at a time, the plan made inside the lock.
        await client.query('select pg_advisory_xact_lock(727310002)');
        applied = (await this.reportOf(client)).findings.filter((finding) => finding.fixable);
        for (const finding of applied) {
          for (const statement of finding.sql) {
            await client.query(statement).catch((error: unknown) => {
              throw new SchemaSyncError(
                `Schema sync stopped at "${statement.split('\n')[0]}" (${finding.detail}): ${error instanceof Error ? error.message : String(error)}. Nothing was changed.`,
                { cause: error },
              );
            });
          }
        }
        await client.query('commit');
      } catch (error) {
        await client.query('rollback').catch(() => undefined);
        throw error;
      }
      return { applied, after: await this.reportOf(client) };
    });
  }

  private async reportOf(client: Client): Promise<SchemaSyncReport> {
    const findings = planSchemaSync(this.entities, await readSchemaCatalog(client));
    return { database: databaseNameOf(this.databaseUrl), entities: this.entities.map((entity) => entity.name), findings, clean: findings.length === 0 };
  }

  private onDatabase<T>(work: (client: Client) => Promise<T>): Promise<T> {
    return withConnectionRetry(
      this.databaseUrl,
      async () => {
        const client = new Client({ connectionString: this.databaseUrl });
        client.on('error', () => undefined);
        try {
          await client.connect();
        } catch (error) {
          await client.end().catch(() => undefined);
          throw error;
        }
        try {
          return await work(client);
        } finally {
          await client.end().catch(() => undefined);
        }
      },
      this.retry,
    ).catch((error: unknown) => {
      if (error instanceof SchemaSyncError || (error instanceof Error && error.name === 'DatabaseUnreachableError')) throw error;
      throw new SchemaSyncError(`Schema sync on ${redactDatabaseUrl(this.databaseUrl)} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    });
  }
}

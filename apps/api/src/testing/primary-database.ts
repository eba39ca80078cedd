import { Pool } from 'pg';

/** Direct SQL on store A's database, for what the tests check behind the API's back (row counts, clean-up). */
export class PrimaryDatabase {
  private readonly pool = new Pool({ connectionString: process.env['PRIMARY_DATABASE_URL'], max: 2 });

  async count(table: 'users' | 'budgets' | 'posts' | 'comments', where: string, values: unknown[]): Promise<number> {
    const result = await this.pool.query<{ n: string }>(`select count(*) as n from ${table} where ${where}`, values);
    return Number(result.rows[0]?.n ?? 0);
  }

  /** Removes the users made by a test run; their budgets, posts and comments go with them (on delete cascade). */
  async deleteUsers(ids: string[]): Promise<void> {
    if (ids.length > 0) await this.pool.query('delete from users where id = any($1::uuid[])', [ids]);
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

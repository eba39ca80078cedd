import { Pool } from 'pg';
import { NO_WAL, addWal, walCounters, walPerWrite } from './wal-activity';

const SERVER = process.env['PRIMARY_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/dw_primary';

describe('the WAL figures of the dual-write bench', () => {
  it('reads the server counters: a committed insert adds records, bytes and a flush', async () => {
    const pool = new Pool({ connectionString: SERVER, max: 1 });
    try {
      // A session hands its counters to pg_stat_wal at most once a second, unless told to at its next statement.
      await pool.query('create table if not exists wal_activity_probe (id int)');
      await pool.query('select pg_stat_force_next_flush()');
      const before = await walCounters(pool);
      await pool.query('insert into wal_activity_probe values (1)');
      await pool.query('select pg_stat_force_next_flush()');
      const after = await walCounters(pool);
      await pool.query('drop table wal_activity_probe');

      const spent = addWal(NO_WAL, before, after);
      expect(spent.records).toBeGreaterThan(0);
      expect(spent.bytes).toBeGreaterThan(0);
      expect(spent.syncs).toBeGreaterThan(0);
    } finally {
      await pool.end();
    }
  });

  it('adds nothing for a window whose counters could not be read', () => {
    const total = { records: 10, bytes: 2048, syncs: 3 };
    expect(addWal(total, null, { records: 99, bytes: 99, syncs: 99 })).toBe(total);
  });

  it('gives records, kilobytes and flushes per write', () => {
    expect(walPerWrite({ records: 300, bytes: 20_480, syncs: 25 }, 10)).toBe('30.0 | 2.00 | 2.50');
  });
});

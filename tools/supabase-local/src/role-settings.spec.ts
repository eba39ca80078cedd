import { Client, Pool } from 'pg';
import { eventually, onDatabase, scratchDatabaseUrl } from '@dualwrite/testing';
import { inRequestTransaction } from './request-transaction';
import { ROLE_SETTINGS_LISTENER, RoleSettingsCache, settingsForRole, type RoleSettingEntry } from './role-settings';

describe('settingsForRole', () => {
  const entry = (role: string, forDatabase: boolean, setting: string): RoleSettingEntry => ({ role, forDatabase, entry: setting });

  it('gives the authenticator’s settings to a role without its own', () => {
    expect(settingsForRole([entry('authenticator', false, 'statement_timeout=8s')], 'service_role')).toEqual([['statement_timeout', '8s']]);
  });

  it('lets the role’s own setting win over the authenticator’s, and a setting for this database over one for all', () => {
    const entries = [
      entry('anon', true, 'statement_timeout=300ms'),
      entry('anon', false, 'statement_timeout=3s'),
      entry('authenticator', true, 'statement_timeout=1s'),
      entry('authenticator', false, 'statement_timeout=8s'),
    ];
    expect(settingsForRole(entries, 'anon')).toEqual([['statement_timeout', '300ms']]);
    expect(settingsForRole(entries.slice(1), 'anon')).toEqual([['statement_timeout', '3s']]);
    expect(settingsForRole(entries.slice(2), 'anon')).toEqual([['statement_timeout', '1s']]);
  });

  it('keeps every name, ignores other roles, and keeps an `=` inside a value', () => {
    const entries = [
      entry('authenticator', false, 'statement_timeout=8s'),
      entry('authenticated', false, 'search_path="$user", public'),
      entry('authenticated', false, 'app.motto=a=b'),
      entry('service_role', false, 'statement_timeout=1min'),
    ];
    expect(settingsForRole(entries, 'authenticated')).toEqual([
      ['statement_timeout', '8s'],
      ['search_path', '"$user", public'],
      ['app.motto', 'a=b'],
    ]);
  });
});

describe('RoleSettingsCache', () => {
  const database = `dw_supabase_local_role_cache_${process.pid}`;
  const pool = new Pool({ connectionString: scratchDatabaseUrl(database), max: 2 });

  beforeAll(async () => {
    await onDatabase('postgres', `drop database if exists "${database}" with (force)`);
    await onDatabase('postgres', `create database "${database}"`);
  });

  afterAll(async () => {
    await pool.end();
    await onDatabase('postgres', `drop database if exists "${database}" with (force)`);
  });

  it('has nothing before its first read, and a request then gets 503 PGRST002 without running', async () => {
    const unreachable = new RoleSettingsCache('postgresql://postgres@127.0.0.1:1/nowhere');
    await unreachable.start();
    try {
      expect(unreachable.for('anon')).toBeUndefined();
      const work = jest.fn(async () => 'ran');
      const request = inRequestTransaction(pool, { claims: { role: 'anon', claims: { role: 'anon' } }, roleSettings: unreachable.for('anon'), method: 'GET', path: '/rest/v1/' }, work);
      await expect(request).rejects.toMatchObject({ status: 503, code: 'PGRST002' });
      expect(work).not.toHaveBeenCalled();
    } finally {
      await unreachable.close();
    }
  });

  it('reads the settings again after its listening connection was cut', async () => {
    const cache = new RoleSettingsCache(scratchDatabaseUrl(database));
    await cache.start();
    const admin = new Client({ connectionString: scratchDatabaseUrl(database) });
    await admin.connect();
    try {
      expect(cache.for('service_role')).toBeDefined();
      await admin.query(`alter role authenticator in database "${database}" set statement_timeout = '5s'`);
      await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and application_name = $2`, [database, ROLE_SETTINGS_LISTENER]);
      await eventually(async () => (cache.for('service_role')?.some(([name, value]) => name === 'statement_timeout' && value === '5s') ? true : undefined));
    } finally {
      await admin.query(`alter role authenticator in database "${database}" reset all`);
      await admin.end();
      await cache.close();
    }
  });
});

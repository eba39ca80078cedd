import { Client } from 'pg';
import { apiRoles, type ApiRole } from './auth';

/** Supabase's API logs in as this role; its settings (Supabase: `statement_timeout = 8s`) apply to every request. */
export const AUTHENTICATOR_ROLE = 'authenticator';

/** The listening connection's application_name (pg_stat_activity). */
export const ROLE_SETTINGS_LISTENER = 'supabase-local role settings';

/** A `setting=value` entry of `alter role … set`, for all databases (`forDatabase` false) or for this one. */
export interface RoleSettingEntry {
  role: string;
  forDatabase: boolean;
  entry: string;
}

/** Settings to apply to one request, in order: a later one of the same name wins. */
export type RequestRoleSettings = readonly (readonly [name: string, value: string])[];

/**
 * What a request as `role` runs with, PostgREST's way: the login role's settings (the session's), then the
 * impersonated role's on top; for each, a setting for this database wins over one for all databases.
 */
export function settingsForRole(entries: readonly RoleSettingEntry[], role: ApiRole): RequestRoleSettings {
  const chosen = new Map<string, string>();
  for (const [owner, forDatabase] of [[AUTHENTICATOR_ROLE, false], [AUTHENTICATOR_ROLE, true], [role, false], [role, true]] as const) {
    for (const { entry } of entries.filter((candidate) => candidate.role === owner && candidate.forDatabase === forDatabase)) {
      const equals = entry.indexOf('=');
      if (equals > 0) chosen.set(entry.slice(0, equals), entry.slice(equals + 1));
    }
  }
  return [...chosen.entries()];
}

async function readEntries(client: Client): Promise<RoleSettingEntry[]> {
  const { rows } = await client.query<RoleSettingEntry>(
    `select r.rolname as role, s.setdatabase <> 0 as "forDatabase", entry
       from pg_db_role_setting s
       join pg_roles r on r.oid = s.setrole
      cross join unnest(s.setconfig) as entry
      where r.rolname = any($1)
        and s.setdatabase in (0, (select oid from pg_database where datname = current_database()))`,
    [[AUTHENTICATOR_ROLE, ...apiRoles]],
  );
  return rows;
}

/**
 * The API roles' settings, read at start and again on `NOTIFY pgrst, 'reload config'` (as PostgREST: a changed
 * `alter role … set` applies after that notification). Listens on a connection of its own; when that connection is
 * lost it reconnects and reads them again.
 */
export class RoleSettingsCache {
  private byRole: Map<ApiRole, RequestRoleSettings> | undefined;
  private listener: Client | undefined;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(private readonly databaseUrl: string) {}

  /** Undefined until the settings were read once (the endpoint then answers 503, as PostgREST without its cache). */
  for(role: ApiRole): RequestRoleSettings | undefined {
    return this.byRole?.get(role);
  }

  /** Connects, listens and reads; a database that cannot be reached now is retried every second. */
  async start(): Promise<void> {
    await this.connect().catch(() => this.reconnectLater());
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    await this.listener?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new Client({ connectionString: this.databaseUrl, connectionTimeoutMillis: 5_000, application_name: ROLE_SETTINGS_LISTENER });
    client.on('error', () => undefined);
    client.on('end', () => {
      if (this.listener === client) this.listener = undefined;
      this.reconnectLater();
    });
    client.on('notification', (message) => {
      if (message.channel === 'pgrst' && message.payload === 'reload config') void this.reload(client);
    });
    await client.connect();
    if (this.closed) return void (await client.end());
    this.listener = client;
    await client.query('listen pgrst');
    await this.reload(client);
  }

  private async reload(client: Client): Promise<void> {
    const entries = await readEntries(client).catch(() => undefined);
    if (entries) this.byRole = new Map(apiRoles.map((role) => [role, settingsForRole(entries, role)]));
  }

  private reconnectLater(): void {
    if (this.closed || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.connect().catch(() => this.reconnectLater());
    }, 1_000);
    this.retry.unref();
  }
}

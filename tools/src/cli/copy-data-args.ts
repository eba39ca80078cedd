import { UsageError, integerFlag, parseFlags } from './args';

export type CopyDataRequest =
  | { kind: 'help' }
  | { kind: 'copy'; entities: 'all' | string[]; from: 'a' | 'b'; rate: number | undefined; chunkSize: number | undefined; method: CopyMethod; dryRun: boolean; distributed: boolean };

/** stream: COPY between the two databases (needs SUPABASE_DB_URL); key-sync: through KeySync; auto: stream when it can. */
export type CopyMethod = 'auto' | 'stream' | 'key-sync';

/**
 * A batch's keys are locked together in one transaction (KeySync: one advisory lock per key), and PostgreSQL's
 * shared lock table holds max_locks_per_transaction × max_connections locks (64 × 100 by default): keep a batch
 * well below that, beside the dual writes' own locks.
 */
export const MAX_CHUNK_SIZE = 2_000;
/** A streamed chunk takes no per-key lock but is one transaction on the target: keep it short under live syncs. */
export const MAX_STREAM_CHUNK_SIZE = 100_000;

export const COPY_DATA_USAGE = [
  'usage: npm run copy-data -- --entity=all|<name> [--rate=rows/s] [--dry-run] [--from=a|b] [--chunk-size=N] [--method=stream|key-sync] [--distributed]',
  '  copies every row of the source store into the other one, parents first, chunk by chunk (each chunk recorded: a',
  '  stopped or killed copy resumes at its first unfinished chunk), then syncs again through the write protocol\'s key',
  '  sync the keys the ledger shows written meanwhile. Run it in phase 2 (or 3 for --from=b), while dual writes run.',
  '  --from=a  store A → store B (default); --from=b is the reverse copy B → A',
  '  --method  stream: COPY between the two databases, only inserting keys the target lacks (the default when',
  '            SUPABASE_DB_URL is set); key-sync: every chunk through the key sync over the stores\' APIs (the default',
  '            without it)',
  '  --rate    rows per second at most (default: as fast as the stores go); slowed further while the primary\'s',
  '            write p95 is up (README, "Initial copy")',
  '  --chunk-size  keys per chunk: streamed, default 20000, at most 100000 (one target transaction); through the',
  '            key sync, default 1000, at most 2000 (a batch\'s keys are locked together)',
  '  --dry-run lists the chunks and rows a copy would do (a resumed run\'s unfinished ones) and writes nothing',
  '  --distributed  queue the copy for the worker processes (DW_RUNS_QUEUE; chunk jobs, parents first, by COPY when the',
  '            workers have SUPABASE_DB_URL, else through the key sync) and follow it; --rate is then the whole run\'s,',
  '            whatever the number of workers; not with --dry-run, --method',
].join('\n');

/** Reads the command line; `entityNames` are the registered entities, named in the error for an unknown one. */
export function parseCopyDataArgs(argv: string[], entityNames: readonly string[]): CopyDataRequest {
  const values = parseFlags(argv, {
    entity: { type: 'string' },
    rate: { type: 'string' },
    'chunk-size': { type: 'string' },
    from: { type: 'string' },
    method: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    distributed: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) return { kind: 'help' };
  const entity = values.entity?.trim();
  if (!entity) throw new UsageError(`--entity is required: all, or one of ${entityNames.join(', ')}`);
  if (entity !== 'all' && !entityNames.includes(entity)) {
    throw new UsageError(`--entity: unknown entity "${entity}"; valid: all, ${entityNames.join(', ')}`);
  }
  const from = values.from ?? 'a';
  if (from !== 'a' && from !== 'b') throw new UsageError(`--from must be a (store A → B) or b (store B → A), got "${from}"`);
  const rate = values.rate === undefined ? undefined : integerFlag('--rate', values.rate, { meaning: 'rows per second' });
  const method: CopyMethod = values.method === undefined ? 'auto' : readMethod(values.method);
  const chunkSize = values['chunk-size'] === undefined ? undefined : integerFlag('--chunk-size', values['chunk-size'], { meaning: 'keys per chunk' });
  const distributed = values.distributed === true;
  if (distributed) {
    const alone = values['dry-run'] ? '--dry-run' : values.method !== undefined ? '--method' : null;
    if (alone) throw new UsageError(`--distributed does not go with ${alone}: the workers copy by COPY when they have SUPABASE_DB_URL, else through the key sync`);
  }
  // The workers sync at most 1000 keys per KeySync batch whatever the chunk size.
  const limit = method === 'stream' || distributed ? MAX_STREAM_CHUNK_SIZE : MAX_CHUNK_SIZE;
  if (chunkSize !== undefined && chunkSize > limit) {
    throw new UsageError(`--chunk-size must be at most ${limit}${limit === MAX_STREAM_CHUNK_SIZE ? '' : ' (up to 100000 with --method=stream)'}, got ${chunkSize}`);
  }
  return { kind: 'copy', entities: entity === 'all' ? 'all' : [entity], from, rate, chunkSize, method, dryRun: values['dry-run'] === true, distributed };
}

function readMethod(text: string): CopyMethod {
  if (text === 'stream' || text === 'key-sync') return text;
  throw new UsageError(`--method must be stream (COPY between the databases, needs SUPABASE_DB_URL) or key-sync, got "${text}"`);
}

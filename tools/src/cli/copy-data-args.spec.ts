import { UsageError } from './args';
import { parseCopyDataArgs } from './copy-data-args';

const entities = ['users', 'budgets', 'posts', 'comments'];

describe('parseCopyDataArgs', () => {
  it("copies from store A, unthrottled, by the method and chunk size the stores allow (InitialCopy's defaults), for real by default", () => {
    expect(parseCopyDataArgs(['--entity=all'], entities)).toEqual({ kind: 'copy', entities: 'all', from: 'a', rate: undefined, chunkSize: undefined, method: 'auto', dryRun: false, distributed: false });
  });

  it('reads --method=stream (chunks up to 100000 keys) and --method=key-sync (up to 2000); refuses another method by name', () => {
    expect(parseCopyDataArgs(['--entity=all', '--method=stream', '--chunk-size=100000'], entities)).toMatchObject({ method: 'stream', chunkSize: 100000 });
    expect(parseCopyDataArgs(['--entity=all', '--method=key-sync', '--chunk-size=2000'], entities)).toMatchObject({ method: 'key-sync', chunkSize: 2000 });
    expect(() => parseCopyDataArgs(['--entity=all', '--method=stream', '--chunk-size=100001'], entities)).toThrow('--chunk-size must be at most 100000, got 100001');
    expect(() => parseCopyDataArgs(['--entity=all', '--method=dump'], entities)).toThrow('--method must be stream (COPY between the databases, needs SUPABASE_DB_URL) or key-sync, got "dump"');
  });

  it('reads one entity, the reverse direction, a rate, a chunk size and a dry run', () => {
    expect(parseCopyDataArgs(['--entity=budgets', '--from=b', '--rate=2000', '--chunk-size=500', '--dry-run'], entities)).toEqual({
      kind: 'copy',
      entities: ['budgets'],
      from: 'b',
      rate: 2000,
      chunkSize: 500,
      method: 'auto',
      dryRun: true,
      distributed: false,
    });
  });

  it('reads --distributed; takes --rate; refuses it with --dry-run or --method, and chunks above the streamed limit', () => {
    expect(parseCopyDataArgs(['--entity=users', '--distributed', '--chunk-size=500'], entities)).toMatchObject({ distributed: true, chunkSize: 500 });
    expect(() => parseCopyDataArgs(['--entity=users', '--distributed', '--dry-run'], entities)).toThrow(
      new UsageError('--distributed does not go with --dry-run: the workers copy by COPY when they have SUPABASE_DB_URL, else through the key sync'),
    );
    expect(parseCopyDataArgs(['--entity=users', '--distributed', '--rate=10'], entities)).toMatchObject({ distributed: true, rate: 10 });
    expect(() => parseCopyDataArgs(['--entity=users', '--distributed', '--rate=0'], entities)).toThrow('--rate');
    expect(() => parseCopyDataArgs(['--entity=users', '--distributed', '--method=stream'], entities)).toThrow('--distributed does not go with --method');
    expect(parseCopyDataArgs(['--entity=users', '--distributed', '--chunk-size=50000'], entities)).toMatchObject({ chunkSize: 50000 });
    expect(() => parseCopyDataArgs(['--entity=users', '--distributed', '--chunk-size=200000'], entities)).toThrow('--chunk-size must be at most 100000');
  });

  it('refuses an unknown entity, listing the valid ones', () => {
    expect(() => parseCopyDataArgs(['--entity=invoices'], entities)).toThrow(new UsageError('--entity: unknown entity "invoices"; valid: all, users, budgets, posts, comments'));
  });

  it('requires --entity', () => {
    expect(() => parseCopyDataArgs(['--rate=10'], entities)).toThrow('--entity is required: all, or one of users, budgets, posts, comments');
  });

  it.each([['0'], ['-5'], ['1.5'], ['fast'], ['']])('refuses --rate=%s', (value) => {
    expect(() => parseCopyDataArgs(['--entity=all', `--rate=${value}`], entities)).toThrow(`--rate must be a positive integer (rows per second), got "${value}"`);
  });

  it('refuses a chunk size that is no positive integer, or above 2000 unless streamed (one advisory lock per key of a batch)', () => {
    expect(() => parseCopyDataArgs(['--entity=all', '--chunk-size=0'], entities)).toThrow('--chunk-size must be a positive integer (keys per chunk), got "0"');
    expect(() => parseCopyDataArgs(['--entity=all', '--chunk-size=2001'], entities)).toThrow('--chunk-size must be at most 2000 (up to 100000 with --method=stream), got 2001');
  });

  it('refuses a direction other than a or b', () => {
    expect(() => parseCopyDataArgs(['--entity=all', '--from=supabase'], entities)).toThrow('--from must be a (store A → B) or b (store B → A), got "supabase"');
  });

  it('refuses an unknown flag by name, and a value on --dry-run', () => {
    expect(() => parseCopyDataArgs(['--entity=all', '--force'], entities)).toThrow(/--force/);
    expect(() => parseCopyDataArgs(['--entity=all', '--dry-run=yes'], entities)).toThrow(/--dry-run/);
  });

  it('answers --help', () => {
    expect(parseCopyDataArgs(['--help'], entities)).toEqual({ kind: 'help' });
  });
});

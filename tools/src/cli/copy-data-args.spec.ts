import { UsageError } from './args';
import { parseCopyDataArgs } from './copy-data-args';

const entities = ['users', 'budgets', 'posts', 'comments'];

describe('parseCopyDataArgs', () => {
  it('copies from store A, unthrottled, 1000 keys a chunk, for real by default', () => {
    expect(parseCopyDataArgs(['--entity=all'], entities)).toEqual({ kind: 'copy', entities: 'all', from: 'a', rate: undefined, chunkSize: 1000, dryRun: false });
  });

  it('reads one entity, the reverse direction, a rate, a chunk size and a dry run', () => {
    expect(parseCopyDataArgs(['--entity=budgets', '--from=b', '--rate=2000', '--chunk-size=500', '--dry-run'], entities)).toEqual({
      kind: 'copy',
      entities: ['budgets'],
      from: 'b',
      rate: 2000,
      chunkSize: 500,
      dryRun: true,
    });
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

  it('refuses a chunk size that is no positive integer or above 2000 (one advisory lock per key of a batch)', () => {
    expect(() => parseCopyDataArgs(['--entity=all', '--chunk-size=0'], entities)).toThrow('--chunk-size must be a positive integer (keys per chunk), got "0"');
    expect(() => parseCopyDataArgs(['--entity=all', '--chunk-size=2001'], entities)).toThrow('--chunk-size must be at most 2000, got 2001');
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

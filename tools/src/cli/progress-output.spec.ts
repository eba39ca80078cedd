import { PassThrough } from 'node:stream';
import { openProgress } from './progress-output';

/** A stream that is not a terminal (a pipe, a log file): what the CLIs write progress to under CI. */
function pipe(): { stream: PassThrough; lines(): string[] } {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  return { stream, lines: () => chunks.join('').split('\n').filter(Boolean) };
}

describe('openProgress on a stream that is not a terminal', () => {
  it('chooses plain lines by default when the stream is no terminal', () => {
    expect(openProgress({ stream: pipe().stream }).interactive).toBe(false);
  });

  it('prints a task\'s first line, one per tenth reached and its last, with the detail', () => {
    const out = pipe();
    const progress = openProgress({ stream: out.stream });
    const task = progress.task('budgets', 20, 'chunks', { detail: '2000 rows planned' });
    for (let done = 1; done <= 20; done += 1) task.advance(done, `${done * 100} rows copied`);
    progress.stop();

    expect(out.lines()).toEqual([
      'budgets: 0/20 chunks, 2000 rows planned',
      ...[2, 4, 6, 8, 10, 12, 14, 16, 18, 20].map((done) => `budgets: ${done}/20 chunks, ${done * 100} rows copied`),
    ]);
  });

  it('starts a resumed task at its done count and prints only the tenths still to come', () => {
    const out = pipe();
    const task = openProgress({ stream: out.stream }).task('users', 4, 'chunks', { done: 3 });
    task.advance(3);
    task.advance(4);

    expect(out.lines()).toEqual(['users: 3/4 chunks', 'users: 4/4 chunks']);
  });

  it('prints the last step once even when advanced again, and a status as a line of its own', () => {
    const out = pipe();
    const task = openProgress({ stream: out.stream }).task('reconcile', 2, 'entities');
    task.status('comparing users');
    task.advance(2, '3 findings so far');
    task.advance(2, '3 findings so far');

    expect(out.lines()).toEqual(['reconcile: 0/2 entities', 'reconcile: comparing users', 'reconcile: 2/2 entities, 3 findings so far']);
  });

  it('an empty task prints one line; other lines pass through as they are', () => {
    const out = pipe();
    const progress = openProgress({ stream: out.stream });
    progress.task('assess', 0, 'keys').advance(0);
    progress.line('budgets: speed 50 % (primary write p95 12 ms, before the copy 4 ms)');

    expect(out.lines()).toEqual(['assess: 0/0 keys', 'budgets: speed 50 % (primary write p95 12 ms, before the copy 4 ms)']);
  });

  it('writes nothing but lines: no cursor or bar escape codes', () => {
    const out = pipe();
    const task = openProgress({ stream: out.stream }).task('repair', 3, 'keys');
    [1, 2, 3].forEach((done) => task.advance(done));

    expect(out.lines().join('\n')).not.toMatch(/\u001b/);
  });
});

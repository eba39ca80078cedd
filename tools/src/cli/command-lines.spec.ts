import { runCli } from './testing/run-cli';

// Every operator CLI refuses a bad command line the same way, before it reads its configuration or starts
// anything: one line naming the flag, the usage line, exit code 2, nothing on stdout.
describe.each([
  ['bench:dual-write', 'tools/src/bench/dual-write.ts'],
  ['setup', 'tools/src/setup/main.ts'],
  ['demo', 'tools/src/demo/main.ts'],
  ['toggle-feature-flags', 'tools/src/cli/toggle-feature-flags.ts'],
])('npm run %s', (name, entry) => {
  it('refuses an unknown flag naming it, with the usage line and exit code 2, and runs nothing', async () => {
    const run = await runCli(entry, ['--nonsense']);

    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual(["Unknown option '--nonsense'", expect.stringMatching(new RegExp(`^usage: npm run ${name}\\b.*\\(--help for more\\)$`))]);
    expect(run.stdout).toBe('');
  });

  it('--help prints the usage and exits 0', async () => {
    const run = await runCli(entry, ['--help']);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^usage: npm run ${name}\\b`));
    expect(run.stderr).toBe('');
  });
});

it('bench:dual-write refuses a malformed number naming the flag, and runs nothing', async () => {
  const run = await runCli('tools/src/bench/dual-write.ts', ['--seconds=abc']);

  expect(run.code).toBe(2);
  expect(run.stderr.split('\n')[0]).toBe('--seconds must be a positive integer, got "abc"');
  expect(run.stdout).toBe('');
});

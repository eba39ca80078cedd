import { parseArgs, type ParseArgsConfig } from 'node:util';

/**
 * Command-line parsing shared by the operator CLIs (setup, bench, toggle-feature-flags): every one declares its
 * options for `node:util` parseArgs in strict mode, validates values in a pure function that throws UsageError,
 * and reads the real command line through `readCommandLine`, which turns a UsageError into one line naming the
 * flag, a one-line usage hint and exit code 2, before anything runs.
 */

/** A command line the CLI refuses: one line naming the flag and what it accepts. Exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with the declared options only (strict, no positionals); its errors become UsageErrors naming the flag. */
export function parseFlags<const O extends Options>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    // parseArgs names the offending option, sometimes over several lines: keep it on one. (Its errors are
    // checked by code, not instanceof: under Jest they come from another realm.)
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_') || typeof message !== 'string') throw error;
    throw new UsageError(message.split('\n').join(' '));
  }
}

/**
 * A whole number given as a flag's text: digits only, a safe integer, above zero unless `allowZero`.
 * `meaning` (what the number is) goes in the error, e.g. "the version the flags are at".
 */
export function integerFlag(flag: string, text: string, { allowZero = false, meaning }: { allowZero?: boolean; meaning?: string } = {}): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || (value === 0 && !allowZero)) {
    const kind = allowZero ? 'non-negative' : 'positive';
    throw new UsageError(`${flag} must be a ${kind} integer${meaning ? ` (${meaning})` : ''}, got "${text}"`);
  }
  return value;
}

/**
 * Reads `argv` (the process's arguments by default) with a CLI's pure parser. `--help` (a `{ kind: 'help' }`
 * request) prints `usage` and gives undefined; a UsageError prints its line and the first line of `usage` to
 * stderr, sets exit code 2 and gives undefined. The caller runs nothing when it gets undefined.
 */
export function readCommandLine<R extends { kind: string }>(
  parse: (argv: string[]) => R,
  usage: string,
  argv: string[] = process.argv.slice(2),
): Exclude<R, { kind: 'help' }> | undefined {
  let request: R;
  try {
    request = parse(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n${usage.split('\n')[0]} (--help for more)\n`);
    process.exitCode = 2;
    return undefined;
  }
  if (request.kind === 'help') {
    process.stdout.write(`${usage}\n`);
    return undefined;
  }
  return request as Exclude<R, { kind: 'help' }>;
}

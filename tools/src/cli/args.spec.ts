import { UsageError, integerFlag, parseFlags } from './args';

describe('parseFlags', () => {
  const options = { seconds: { type: 'string', default: '15' }, verbose: { type: 'boolean', default: false } } as const;

  it('gives the declared options with their defaults', () => {
    expect(parseFlags([], options)).toEqual({ seconds: '15', verbose: false });
    expect(parseFlags(['--seconds', '30', '--verbose'], options)).toEqual({ seconds: '30', verbose: true });
  });

  it.each([
    [['--nonsense'], "Unknown option '--nonsense'"],
    [['--seconds'], "Option '--seconds <value>' argument missing"],
    [['--verbose=yes'], "Option '--verbose' does not take an argument"],
    [['30'], "Unexpected argument '30'. This command does not take positional arguments"],
  ])('refuses %j with one line naming what is wrong', (argv, message) => {
    expect(() => parseFlags(argv, options)).toThrow(new UsageError(message));
  });

  it('keeps a several-line parseArgs message on one line', () => {
    expect(() => parseFlags(['--seconds', '-5'], options)).toThrow(
      new UsageError(
        "Option '--seconds' argument is ambiguous. Did you forget to specify the option argument for '--seconds'? To specify an option argument starting with a dash use '--seconds=-XYZ'.",
      ),
    );
  });
});

describe('integerFlag', () => {
  it('reads whole numbers', () => {
    expect(integerFlag('--rounds', '3')).toBe(3);
    expect(integerFlag('--timeout', '0', { allowZero: true })).toBe(0);
  });

  it.each([
    ['abc', {}, '--n must be a positive integer, got "abc"'],
    ['', {}, '--n must be a positive integer, got ""'],
    ['1.5', {}, '--n must be a positive integer, got "1.5"'],
    ['-1', { allowZero: true }, '--n must be a non-negative integer, got "-1"'],
    ['0', {}, '--n must be a positive integer, got "0"'],
    ['1e3', {}, '--n must be a positive integer, got "1e3"'],
    ['99999999999999999999', {}, '--n must be a positive integer, got "99999999999999999999"'],
    ['x', { meaning: 'how many' }, '--n must be a positive integer (how many), got "x"'],
  ])('refuses %j naming the flag', (text, settings, message) => {
    expect(() => integerFlag('--n', text, settings)).toThrow(new UsageError(message));
  });
});

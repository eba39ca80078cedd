import fc from 'fast-check';

/** Two api processes (engine instances) run the writes; index 0 or 1. */
export type EngineIndex = 0 | 1;
export type StoreSide = 'a' | 'b';
export type FaultMode = 'down' | 'slow' | 'lossy' | 'up';

/** A write of the program: on an item (uuid key 0 or 1) or a note (serial key; create assigns one, 1 or 2 otherwise). */
export type WriteCommand =
  | { kind: 'item'; engine: EngineIndex; op: 'create' | 'update' | 'upsert' | 'delete'; key: 0 | 1 }
  | { kind: 'note'; engine: EngineIndex; op: 'create' | 'update' | 'delete'; key: 1 | 2 };

export type Command =
  | WriteCommand
  /** The same opId and payload as an earlier write of the program (the `of`-th one, modulo their count). */
  | { kind: 'retry'; engine: EngineIndex; of: number }
  /**
   * down: every call fails at once; slow: a call may time out (and still land later); lossy: a call lands but
   * its answer is lost (the caller sees the store unavailable); up: healed.
   */
  | { kind: 'fault'; store: StoreSide; mode: FaultMode }
  /** Phase 2 → 3 or 3 → 2 through the FlagSwitcher's barrier. */
  | { kind: 'flip' }
  /** The worker replays every queued operation (BullMQ jobs of the run's queue). */
  | { kind: 'replay' }
  /** The worker's sweep: operations left by a stopped process moved on, owed and unknown ones queued. */
  | { kind: 'sweep' }
  /** The api process stops: its calls in flight may still land, it records nothing more; a new one takes its place. */
  | { kind: 'crash'; engine: EngineIndex }
  /** The api process drops its cached flags (it heard of a change). */
  | { kind: 'refresh'; engine: EngineIndex };

export interface Initial {
  phase: 2 | 3;
  /** Item 0 exists on both stores before the program. */
  item0: boolean;
}

export interface Program {
  initial: Initial;
  commands: Command[];
}

const evenEngines = fc.constantFrom<EngineIndex>(0, 1);

function commandArb(engineArb: fc.Arbitrary<EngineIndex>): fc.Arbitrary<Command> {
  return fc.oneof(
  {
    weight: 10,
    arbitrary: fc.record({
      kind: fc.constant('item' as const),
      engine: engineArb,
      op: fc.constantFrom('create' as const, 'update' as const, 'update' as const, 'upsert' as const, 'upsert' as const, 'delete' as const),
      key: fc.constantFrom<0 | 1>(0, 1),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('note' as const),
      engine: engineArb,
      op: fc.constantFrom('create' as const, 'create' as const, 'update' as const, 'delete' as const),
      key: fc.constantFrom<1 | 2>(1, 2),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('retry' as const), engine: engineArb, of: fc.nat(7) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('fault' as const),
      store: fc.constantFrom<StoreSide>('a', 'b'),
      mode: fc.constantFrom<FaultMode>('down', 'slow', 'slow', 'lossy', 'lossy', 'up', 'up'),
    }),
  },
  { weight: 2, arbitrary: fc.constant({ kind: 'flip' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'replay' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'sweep' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const), engine: engineArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('refresh' as const), engine: engineArb }) },
  );
}

/**
 * Programs of at most `maxCommands` commands. `sameEngineMostly` gives 5 of 6 writes to the first api process, so
 * its writes overlap more often (what exercises group commit: writes of one process gathered in one sync).
 */
export function programArb(maxCommands: number, options: { sameEngineMostly?: boolean } = {}): fc.Arbitrary<Program> {
  const engineArb = options.sameEngineMostly ? fc.constantFrom<EngineIndex>(0, 0, 0, 0, 0, 1) : evenEngines;
  return fc.record({
    initial: fc.record({ phase: fc.constantFrom<2 | 3>(2, 3), item0: fc.constantFrom(true, true, true, false) }),
    commands: fc.array(commandArb(engineArb), { minLength: 1, maxLength: maxCommands }),
  });
}

export function isWrite(command: Command): command is WriteCommand {
  return command.kind === 'item' || command.kind === 'note';
}

/** The program's writes in order: what `retry.of` picks from. */
export function writeIndexes(commands: Command[]): number[] {
  return commands.flatMap((command, index) => (isWrite(command) ? [index] : []));
}

/** The write a retry at `index` repeats (an earlier write of the program), or undefined when there is none yet. */
export function retriedWrite(commands: Command[], index: number, of: number): number | undefined {
  const earlier = writeIndexes(commands.slice(0, index));
  return earlier.length === 0 ? undefined : earlier[of % earlier.length];
}

export function describeCommand(commands: Command[], index: number): string {
  const command = commands[index] as Command;
  switch (command.kind) {
    case 'item':
      return `e${command.engine + 1} ${command.op} item${command.key} (w${index})`;
    case 'note':
      return command.op === 'create' ? `e${command.engine + 1} create note (w${index})` : `e${command.engine + 1} ${command.op} note${command.key} (w${index})`;
    case 'retry': {
      const of = retriedWrite(commands, index, command.of);
      return of === undefined ? `e${command.engine + 1} retry (nothing to retry)` : `e${command.engine + 1} retry w${of}`;
    }
    case 'fault':
      return `store ${command.store === 'a' ? 'A (prisma)' : 'B (supabase)'} ${command.mode}`;
    case 'flip':
      return 'flip the primary';
    case 'replay':
      return 'worker replays the queue';
    case 'sweep':
      return 'worker sweeps the ledger';
    case 'crash':
      return `e${command.engine + 1} crashes`;
    case 'refresh':
      return `e${command.engine + 1} rereads the flags`;
  }
}

export function describeProgram(program: Program): string {
  const lines = program.commands.map((_command, index) => `  c${index}: ${describeCommand(program.commands, index)}`);
  return [`phase ${program.initial.phase}, item0 ${program.initial.item0 ? 'on both stores' : 'absent'}`, ...lines].join('\n');
}

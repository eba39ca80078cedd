import { MultiBar, Presets } from 'cli-progress';

/** One unit of work with a known number of steps (an entity's chunks, a run's entities, a repair's keys). */
export interface ProgressTask {
  /** `done` steps of the total now; `detail` rides along (e.g. "250 rows copied"). */
  advance(done: number, detail?: string): void;
  /** A change worth reading (re-checking, resumed run …): the bar's note on a terminal, a line of its own otherwise. */
  status(text: string): void;
}

export interface ProgressOutput {
  /** Bars (a terminal) or plain lines (a pipe, a file, CI). */
  readonly interactive: boolean;
  task(label: string, total: number, unit: string, start?: { done?: number; detail?: string }): ProgressTask;
  /** A line that is not progress (a warning, a speed change): above the bars on a terminal. */
  line(text: string): void;
  /** Ends the bars (idempotent); call it before printing results. */
  stop(): void;
}

export interface ProgressOutputOptions {
  /** Where progress goes: stderr by default, so stdout keeps the results (and --json stays parseable). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Bars or lines; by default bars only when both stdout and the stream are terminals. */
  interactive?: boolean;
}

/**
 * Progress of the operator CLIs (copy-data, reconcile-data, compensate-data): a cli-progress bar per task on a
 * terminal; otherwise plain lines, a task's first, one per tenth of its steps and its last, so a log or CI output
 * stays short and readable whatever the table size.
 */
export function openProgress(options: ProgressOutputOptions = {}): ProgressOutput {
  const stream = options.stream ?? process.stderr;
  const interactive = options.interactive ?? Boolean(process.stdout.isTTY && stream.isTTY);
  return interactive ? barOutput(stream as NodeJS.WriteStream) : lineOutput(stream);
}

function lineOutput(stream: NodeJS.WritableStream): ProgressOutput {
  const write = (text: string) => void stream.write(`${text}\n`);
  return {
    interactive: false,
    task(label, total, unit, start = {}) {
      const progressLine = (done: number, detail: string | undefined) => write(`${label}: ${done}/${total} ${unit}${detail ? `, ${detail}` : ''}`);
      let lastTenth = tenthOf(start.done ?? 0, total);
      let finished = total > 0 && (start.done ?? 0) >= total;
      progressLine(start.done ?? 0, start.detail);
      return {
        advance(done, detail) {
          const tenth = tenthOf(done, total);
          if (finished || tenth === lastTenth) return;
          lastTenth = tenth;
          finished = done >= total;
          progressLine(done, detail);
        },
        status: (text) => write(`${label}: ${text}`),
      };
    },
    line: write,
    stop: () => undefined,
  };
}

function barOutput(stream: NodeJS.WriteStream): ProgressOutput {
  const bars = new MultiBar(
    { format: '{label} [{bar}] {value}/{total} {unit} | {detail} {note}', stream, hideCursor: true, clearOnComplete: false, etaBuffer: 20 },
    Presets.shades_classic,
  );
  let stopped = false;
  return {
    interactive: true,
    task(label, total, unit, start = {}) {
      const bar = bars.create(total, start.done ?? 0, { label, unit, detail: start.detail ?? '', note: '' });
      return {
        advance: (done, detail) => bar.update(done, detail === undefined ? {} : { detail }),
        status: (note) => bar.update({ note }),
      };
    },
    line: (text) => bars.log(`${text}\n`),
    stop: () => {
      if (!stopped) bars.stop();
      stopped = true;
    },
  };
}

/** Which tenth of the work `done` reaches (10 when complete); an empty task is complete. */
function tenthOf(done: number, total: number): number {
  if (total <= 0) return 10;
  return Math.min(10, Math.floor((done * 10) / total));
}

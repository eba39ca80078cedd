import { SingleBar, Presets } from 'cli-progress';
import type { BackupProgress } from '@dualwrite/backup';

export interface ProgressDisplay {
  listener: (progress: BackupProgress) => void;
  stop(): void;
}

/**
 * Progress of a backup, restore, validation or drill: a bar on a terminal (cli-progress), otherwise plain lines
 * (one per phase or table, and every 25 %), so logs and CI output stay readable.
 */
export function progressDisplay(label: string, stream: NodeJS.WriteStream = process.stderr): ProgressDisplay {
  if (stream.isTTY) {
    const bar = new SingleBar({ format: `${label} [{bar}] {percentage}% | {phase} {table}`, stream, hideCursor: true, clearOnComplete: false }, Presets.shades_classic);
    let started = false;
    return {
      listener: (progress) => {
        const payload = { phase: progress.phase, table: progress.table ?? '' };
        if (!started) {
          bar.start(100, progress.percent, payload);
          started = true;
        } else bar.update(progress.percent, payload);
      },
      stop: () => {
        if (started) bar.stop();
      },
    };
  }
  let last = '';
  let lastQuarter = -1;
  return {
    listener: (progress) => {
      const step = `${progress.phase} ${progress.table ?? ''}`.trim();
      const quarter = Math.floor(progress.percent / 25);
      if (step === last && quarter === lastQuarter) return;
      last = step;
      lastQuarter = quarter;
      stream.write(`${label}: ${step} ${progress.percent}%\n`);
    },
    stop: () => undefined,
  };
}

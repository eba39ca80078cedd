import { spawn } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..', '..', '..');

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface WorkerProcess {
  kill(signal: NodeJS.Signals): void;
  finished: Promise<WorkerExit>;
  /** Output so far. */
  stdout(): string;
}

/** Starts the real worker process (tools/run.js apps/worker/src/main.ts) with environment overrides. */
export function startWorkerProcess(env: NodeJS.ProcessEnv = {}): WorkerProcess {
  const child = spawn(process.execPath, [path.join(root, 'tools', 'run.js'), path.join(root, 'apps', 'worker', 'src', 'main.ts')], {
    cwd: root,
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const finished = new Promise<WorkerExit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { kill: (signal) => child.kill(signal), finished, stdout: () => stdout };
}

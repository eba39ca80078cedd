import { spawn } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..', '..');

export interface EntryProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface EntryProcess {
  kill(signal: NodeJS.Signals): void;
  finished: Promise<EntryProcessExit>;
  /** Output so far. */
  stdout(): string;
}

/**
 * For process tests: starts a real entry point of the repo (`entry` relative to the repo root, e.g.
 * `apps/api/src/main.ts`) the way `npm start` does, through tools/run.js, with environment overrides.
 */
export function startEntryProcess(entry: string, env: NodeJS.ProcessEnv = {}): EntryProcess {
  const child = spawn(process.execPath, [path.join(root, 'tools', 'run.js'), path.join(root, entry)], {
    cwd: root,
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const finished = new Promise<EntryProcessExit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { kill: (signal) => child.kill(signal), finished, stdout: () => stdout };
}

import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** `npm start`: runs the api and the worker side by side and stops both when either stops or on Ctrl-C. */
const root = path.resolve(__dirname, '..', '..');
const runner = path.join(root, 'tools', 'run.js');
const processes: ChildProcess[] = [];

function launch(name: string, entry: string): void {
  const child = spawn(process.execPath, [runner, path.join(root, entry)], { cwd: root, stdio: 'inherit' });
  child.on('exit', (code, signal) => {
    process.stderr.write(`[start] ${name} exited (${signal ?? code})\n`);
    shutdown(code ?? 1);
  });
  processes.push(child);
}

let stopping = false;
function shutdown(code: number): void {
  if (stopping) return;
  stopping = true;
  for (const child of processes) if (child.exitCode === null) child.kill('SIGTERM');
  setTimeout(() => process.exit(code), 500).unref();
}

process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));
launch('api', 'apps/api/src/main.ts');
launch('worker', 'apps/worker/src/main.ts');

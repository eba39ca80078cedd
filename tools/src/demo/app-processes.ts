import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..', '..');
const runner = path.join(root, 'tools', 'run.js');

/** The api and worker processes the demo runs against, started the way `npm start` starts them. */
export class AppProcesses {
  private readonly children = new Map<string, ChildProcess>();

  start(name: string, entry: string, env: NodeJS.ProcessEnv = process.env): void {
    const child = spawn(process.execPath, [runner, path.join(root, entry)], {
      cwd: root,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let errors = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      errors = (errors + chunk.toString()).slice(-4_000);
    });
    child.on('exit', (code, signal) => {
      if (this.children.get(name) === child && code !== 0 && signal === null) {
        process.stderr.write(`[demo] ${name} exited with code ${code}\n${errors}`);
      }
    });
    this.children.set(name, child);
  }

  pid(name: string): number | undefined {
    return this.children.get(name)?.pid;
  }

  async stopAll(): Promise<void> {
    const exits = [...this.children.values()].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
        }),
    );
    this.children.clear();
    await Promise.all(exits);
  }
}

export function isPortInUse(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const reason = lastError instanceof Error ? `: ${lastError.message}` : '';
  throw new Error(`${what} did not happen within ${timeoutMs / 1000} s${reason}`);
}

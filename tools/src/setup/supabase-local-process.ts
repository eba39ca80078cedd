import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isListening, waitUntil, type ServiceAddress } from './local-services';

const root = path.resolve(__dirname, '..', '..', '..');
const runtimeDir = path.join(root, 'tmp');
export const supabaseLocalLogFile = path.join(runtimeDir, 'supabase-local.log');

/** One endpoint per port (setup's, the demo's): each has its own pid file, `tmp/supabase-local-<port>.pid`. */
export function supabaseLocalPidFile(address: ServiceAddress): string {
  return path.join(runtimeDir, `supabase-local-${address.port}.pid`);
}

function runningPid(pidFile: string): number | null {
  if (!existsSync(pidFile)) return null;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops the background endpoint started by setup, if any, and returns whether one was stopped. It is gone
 * when this returns: not listening and the process ended (a process still finishing kept-alive requests
 * would otherwise go on answering them). After 5 s of grace it is killed.
 */
export async function stopSupabaseLocal(address: ServiceAddress): Promise<boolean> {
  const pidFile = supabaseLocalPidFile(address);
  const pid = runningPid(pidFile);
  if (pid === null) return false;
  process.kill(pid, 'SIGTERM');
  await waitUntil(async () => !(await isListening(address)), 10_000, 'supabase-local shutdown');
  const graceEnds = Date.now() + 5_000;
  while (isAlive(pid) && Date.now() < graceEnds) await new Promise((resolve) => setTimeout(resolve, 50));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  await waitUntil(async () => !isAlive(pid), 5_000, 'supabase-local exit');
  rmSync(pidFile, { force: true });
  return true;
}

/**
 * Makes sure the local Supabase endpoint answers on the address: starts it in the background
 * (detached, logging to tmp/supabase-local.log) when nothing listens there.
 */
export async function ensureSupabaseLocal(address: ServiceAddress, log: (line: string) => void): Promise<void> {
  if (await isListening(address)) {
    log(`supabase-local: up on http://${address.host}:${address.port}/rest/v1`);
    return;
  }
  mkdirSync(runtimeDir, { recursive: true });
  const output = openSync(supabaseLocalLogFile, 'a');
  const child = spawn(
    process.execPath,
    [path.join(root, 'tools', 'run.js'), path.join(root, 'tools', 'supabase-local', 'src', 'main.ts')],
    { cwd: root, detached: true, stdio: ['ignore', output, output], env: process.env },
  );
  child.unref();
  writeFileSync(supabaseLocalPidFile(address), String(child.pid));
  await waitUntil(() => isListening(address), 20_000, `supabase-local (see ${supabaseLocalLogFile})`);
  log(`supabase-local: started on http://${address.host}:${address.port}/rest/v1 (pid ${child.pid})`);
}

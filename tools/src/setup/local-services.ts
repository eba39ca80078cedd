import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createConnection } from 'node:net';

export interface ServiceAddress {
  host: string;
  port: number;
}

export function addressOf(url: string, defaultPort: number): ServiceAddress {
  const parsed = new URL(url);
  return { host: parsed.hostname || '127.0.0.1', port: Number(parsed.port || defaultPort) };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || host.startsWith('127.');
}

/** True when something accepts TCP connections on the address within the timeout. */
export function isListening(address: ServiceAddress, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: address.host, port: address.port });
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what} did not come up within ${Math.round(timeoutMs / 1000)} s.`);
}

function commandExists(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * How to start a local service from the machine's Debian packages, or null when they are not installed.
 * These are the exact commands the machines of this project use.
 */
export function localStartCommand(service: 'postgresql' | 'redis', port: number): string[] | null {
  if (service === 'postgresql') {
    if (!commandExists('pg_ctlcluster') || !existsSync('/etc/postgresql')) return null;
    const versions = readdirSync('/etc/postgresql');
    if (versions.length === 0) return null;
    return ['pg_ctlcluster', '--skip-systemctl-redirect', versions.sort().at(-1) as string, 'main', 'start'];
  }
  if (!commandExists('redis-server')) return null;
  return ['redis-server', '--daemonize', 'yes', '--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'];
}

export function manualStartAdvice(service: 'postgresql' | 'redis', address: ServiceAddress): string {
  const debian =
    service === 'postgresql'
      ? 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start'
      : `redis-server --daemonize yes --bind 127.0.0.1 --port ${address.port} --save "" --appendonly no`;
  return (
    `${service} is not answering on ${address.host}:${address.port}. Start it with:\n` +
    `  ${debian}\n` +
    `or, with Docker: docker compose up -d ${service === 'postgresql' ? 'postgres' : 'redis'}`
  );
}

/** Makes sure the service answers: starts it from local packages when it is down and local, else explains how. */
export async function ensureService(
  service: 'postgresql' | 'redis',
  address: ServiceAddress,
  log: (line: string) => void,
): Promise<void> {
  if (await isListening(address)) {
    log(`${service}: up on ${address.host}:${address.port}`);
    return;
  }
  const command = isLoopback(address.host) ? localStartCommand(service, address.port) : null;
  if (!command) throw new Error(manualStartAdvice(service, address));
  log(`${service}: down, starting it: ${command.join(' ')}`);
  try {
    execFileSync(command[0], command.slice(1), { stdio: 'ignore' });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`${manualStartAdvice(service, address)}\n(starting it failed: ${reason})`);
  }
  await waitUntil(() => isListening(address), 30_000, service);
  log(`${service}: started`);
}

import { spawn } from 'node:child_process';
import path from 'node:path';
import type { DemoApi } from './api-client';

const root = path.resolve(__dirname, '..', '..', '..');

export interface CommandRun {
  code: number | null;
  output: string;
}

/**
 * Runs one of the operator CLIs (`tools/src/cli/<name>.ts`) the way `npm run <name> -- …` does, with the demo's
 * settings, echoing its lines under the demo's; returns its exit code and output.
 */
export async function runOperatorCommand(name: string, args: string[], say: (line: string) => void): Promise<CommandRun> {
  say(`$ npm run ${name} -- ${args.join(' ')}`);
  const child = spawn(process.execPath, [path.join(root, 'tools', 'run.js'), path.join(root, 'tools', 'src', 'cli', `${name}.ts`), ...args], {
    cwd: root,
    env: { ...process.env, FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let partial = '';
  const echo = (chunk: Buffer) => {
    const complete = (partial + chunk.toString()).split('\n');
    partial = complete.pop() ?? '';
    for (const line of complete) if (line.trim()) say(`  │ ${line}`);
    lines.push(...complete);
  };
  child.stdout.on('data', echo);
  child.stderr.on('data', echo);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (exitCode) => resolve(exitCode)));
  if (partial.trim()) {
    say(`  │ ${partial}`);
    lines.push(partial);
  }
  return { code, output: lines.join('\n') };
}

/** Runs the command and fails the demo unless it exits with `expected`. */
export async function expectOperatorCommand(name: string, args: string[], expected: number, say: (line: string) => void): Promise<CommandRun> {
  const run = await runOperatorCommand(name, args, say);
  if (run.code !== expected) throw new Error(`npm run ${name} exited ${String(run.code)}, expected ${expected}`);
  return run;
}

/** PUT /admin/flags expecting the phase gates to refuse: prints each unmet condition; fails if it went through. */
export async function expectGateRefusal(api: DemoApi, change: Record<string, unknown>, say: (line: string) => void): Promise<string[]> {
  const answer = await api.request('PUT', '/admin/flags', change);
  const body = (answer.body ?? {}) as { unmet?: string[]; message?: string };
  if (answer.status !== 409 || !Array.isArray(body.unmet)) throw new Error(`the phase gate let ${JSON.stringify(change)} through: ${answer.status} ${JSON.stringify(body)}`);
  say(`PUT /admin/flags → 409, the phase gate refuses:`);
  for (const condition of body.unmet) say(`  - ${condition}`);
  return body.unmet;
}

import { readFileSync, readdirSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** Which processes one label stands for: fixed pids, or every process whose command name is given. */
export interface ProcessGroup {
  label: string;
  pids?: number[];
  command?: string;
}

export type CpuSnapshot = Map<string, number>;

/**
 * CPU seconds (user + system) used so far by each group, read from /proc (Linux). A group whose processes
 * cannot be read counts 0: the table then shows where the time went for the processes that could be.
 */
export function cpuSnapshot(groups: ProcessGroup[]): CpuSnapshot {
  const byCommand = commandPids();
  const snapshot: CpuSnapshot = new Map();
  for (const group of groups) {
    const pids = group.pids ?? (group.command ? byCommand.get(group.command) ?? [] : []);
    snapshot.set(group.label, pids.reduce((total, pid) => total + cpuSecondsOf(pid), 0));
  }
  return snapshot;
}

export function cpuSpent(before: CpuSnapshot, after: CpuSnapshot): CpuSnapshot {
  const spent: CpuSnapshot = new Map();
  for (const [label, seconds] of after) spent.set(label, Math.max(0, seconds - (before.get(label) ?? 0)));
  return spent;
}

/** The whole machine's CPU time so far, in seconds summed over its CPUs (/proc/stat), by what it went to. */
export interface HostCpu {
  busy: number;
  idle: number;
  /** Time the hypervisor gave to other guests while this one had work: the box was slower than it looked. */
  stolen: number;
}

export function hostCpu(): HostCpu {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    // cpu user nice system idle iowait irq softirq steal ...
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map((field) => Number(field) / TICKS_PER_SECOND);
    return { busy: (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0), idle: (idle ?? 0) + (iowait ?? 0), stolen: steal ?? 0 };
  } catch {
    return { busy: 0, idle: 0, stolen: 0 };
  }
}

export function hostCpuSpent(before: HostCpu, after: HostCpu): HostCpu {
  return { busy: after.busy - before.busy, idle: after.idle - before.idle, stolen: after.stolen - before.stolen };
}

function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at the closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime, stime, and the same of children already reaped (PostgreSQL backends that ended in the window)
    return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

function commandPids(): Map<string, number[]> {
  const pids = new Map<string, number[]>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return pids;
  }
  for (const entry of entries) {
    try {
      const command = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      pids.set(command, [...(pids.get(command) ?? []), Number(entry)]);
    } catch {
      // the process ended while being listed
    }
  }
  return pids;
}

/** What the chaos run does to the system under writes (PROTOCOL.md's faults: crash, store away, Redis loss, flips). */
export type Fault =
  | { kind: 'kill'; process: 'api' | 'worker' }
  | { kind: 'start'; process: 'api' | 'worker' }
  | { kind: 'pause-store-b' }
  | { kind: 'resume-store-b' }
  | { kind: 'flush-redis' }
  | { kind: 'flip'; toPhase: 2 | 3 };

export interface ScheduledFault {
  /** Seconds after the writes start. */
  atSeconds: number;
  fault: Fault;
  /** What the step puts the protocol through. */
  why: string;
}

/** One schedule, the same every run, so two runs differ only in the interleavings the machine makes. */
export const FAULT_SCHEDULE: readonly ScheduledFault[] = [
  { atSeconds: 4, fault: { kind: 'kill', process: 'api' }, why: 'an api dies (SIGKILL) with writes in flight: the sweep takes them over' },
  { atSeconds: 6, fault: { kind: 'start', process: 'api' }, why: 'a new api takes the traffic' },
  { atSeconds: 12, fault: { kind: 'pause-store-b' }, why: 'store B stops answering (SIGSTOP): syncs time out, writes become owed' },
  { atSeconds: 16, fault: { kind: 'flush-redis' }, why: 'Redis loses every replay job while store B owes writes' },
  { atSeconds: 20, fault: { kind: 'resume-store-b' }, why: 'store B answers again: the sweep requeues what Redis lost' },
  { atSeconds: 23, fault: { kind: 'pause-store-b' }, why: 'store B stops again, so the flip below has syncs to wait for' },
  { atSeconds: 24, fault: { kind: 'flip', toPhase: 3 }, why: 'PUT /admin/flags to phase 3 (store B primary), sent again until answered 200' },
  { atSeconds: 25, fault: { kind: 'kill', process: 'api' }, why: 'the api running the flip dies in its barrier: its fence stays up' },
  { atSeconds: 26, fault: { kind: 'start', process: 'api' }, why: 'a new api: the re-sent flip meets the dead flip\'s fence' },
  { atSeconds: 28, fault: { kind: 'resume-store-b' }, why: 'store B answers again' },
  { atSeconds: 32, fault: { kind: 'kill', process: 'worker' }, why: 'the worker dies with replays in flight' },
  { atSeconds: 36, fault: { kind: 'start', process: 'worker' }, why: 'a new worker' },
  { atSeconds: 40, fault: { kind: 'kill', process: 'api' }, why: 'an api dies again, in whichever phase the flags are now' },
  { atSeconds: 42, fault: { kind: 'start', process: 'api' }, why: 'a new api' },
  { atSeconds: 48, fault: { kind: 'flip', toPhase: 2 }, why: 'PUT /admin/flags back to phase 2 (store A primary), sent again until answered 200' },
];

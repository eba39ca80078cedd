import { describeMode, modeOf, type DualWriteFlags, type FlagState } from '@dualwrite/dual-write';

/** The runbook's store names: store A is the Prisma database, store B Supabase. */
export const RUNBOOK_STORE_NAMES = { a: 'prisma', b: 'supabase' } as const;

function flagsLine(flags: DualWriteFlags): string {
  return `enableDualWrite=${flags.enableDualWrite} enableSupabasePrimary=${flags.enableSupabasePrimary}`;
}

function modeLine(flags: DualWriteFlags): string {
  const mode = modeOf(flags);
  return `${describeMode(mode, RUNBOOK_STORE_NAMES)} [${mode.name}]`;
}

/** The current flags and mode, as printed when the CLI is run without flags. */
export function currentReport(state: FlagState): string {
  return [
    `current: ${flagsLine(state)}`,
    `mode:    ${modeLine(state)}`,
    `version ${state.version}, last changed ${state.updatedAt.toISOString()} by ${state.updatedBy}: ${state.reason}`,
  ].join('\n');
}

/** current → new, as printed after a change. */
export function changeReport(before: FlagState, after: FlagState): string {
  const same = before.enableDualWrite === after.enableDualWrite && before.enableSupabasePrimary === after.enableSupabasePrimary;
  return [
    `current: ${flagsLine(before)}`,
    `         ${modeLine(before)}`,
    `new:     ${flagsLine(after)}`,
    `         ${modeLine(after)}`,
    `version ${before.version} → ${after.version}, changed by ${after.updatedBy}: ${after.reason}`,
    ...(same ? ['(the flags were already set so; the change is recorded in the history)'] : []),
  ].join('\n');
}

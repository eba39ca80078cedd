import type { BenchMode } from './bench-args';

/** One series of the steady pass: a mode, or (control) a single-store mode measured a second time. */
export interface SteadySeries {
  mode: BenchMode;
  control: boolean;
}

const SINGLE_STORE_MODES: readonly BenchMode[] = ['1', '4'];

/**
 * The series the steady pass measures, taking turns round by round: each mode once, then, with the control on, the
 * first single-store mode of `modes` again. Two series of one path differ only by what the machine did while each
 * ran, so their gap is the yardstick for every gap between modes in the same run.
 */
export function steadySeries(modes: readonly BenchMode[], control: boolean): SteadySeries[] {
  const series = modes.map((mode) => ({ mode, control: false }));
  const repeated = modes.find((mode) => SINGLE_STORE_MODES.includes(mode));
  return control && repeated ? [...series, { mode: repeated, control: true }] : series;
}

/**
 * The steady pass's verdict lines: mode 2's p95 against the slower single store's (the issue's bar), and the
 * control's p95 against its own mode's first series. Lines whose series were not measured are left out.
 */
export function describeSteadyP95s(measured: readonly (SteadySeries & { p95: number })[]): string[] {
  const first = (mode: BenchMode) => measured.find((entry) => entry.mode === mode && !entry.control);
  const singles = SINGLE_STORE_MODES.map(first).filter((entry): entry is SteadySeries & { p95: number } => entry !== undefined);
  const slower = singles.reduce<(SteadySeries & { p95: number }) | undefined>((worst, entry) => (worst && worst.p95 >= entry.p95 ? worst : entry), undefined);
  const dual = first('2');
  const control = measured.find((entry) => entry.control);
  const lines: string[] = [];
  if (dual && slower) lines.push(`mode 2 p95 vs the slower single store (mode ${slower.mode}): ${signedPercent(dual.p95, slower.p95)}`);
  const original = control ? first(control.mode) : undefined;
  if (control && original) {
    lines.push(`control: mode ${control.mode} measured again, p95 ${signedPercent(control.p95, original.p95)} against its first series (the same path: a gap this size between modes is the machine's, not theirs)`);
  }
  return lines;
}

function signedPercent(value: number, base: number): string {
  // Rounded first, so a change under half a percent reads `+0 %`, never `-0 %`.
  const change = Math.round((100 * (value - base)) / base) || 0;
  return `${change >= 0 ? '+' : ''}${change} %`;
}

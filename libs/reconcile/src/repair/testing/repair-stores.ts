import { ScratchStores } from '../../copy/testing/scratch-stores';

/**
 * The copy suites' scratch stores (store A, store B behind a supabase-local process of its own, a control database)
 * under names of the repair suites' own (`dw_repair_t_<suffix>_a|b`, `dw_control_repair_<suffix>`), so a clean-up of
 * the copy suites' databases never takes the repair suites' away mid-run.
 */
export class RepairStores extends ScratchStores {
  override readonly names = { a: `dw_repair_t_${this.suffix}_a`, b: `dw_repair_t_${this.suffix}_b`, control: `dw_control_repair_${this.suffix}` };
}

/** Injection tokens of the dual-write module, in one place. */
export const DUAL_WRITE_CONTROL_POOL = Symbol('DUAL_WRITE_CONTROL_POOL');
export const DUAL_WRITE_METADATA = 'dualwrite:operation';

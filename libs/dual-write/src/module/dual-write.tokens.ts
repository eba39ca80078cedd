/** Injection tokens of the dual-write module, in one place. */
export const DUAL_WRITE_OPTIONS = Symbol('DUAL_WRITE_OPTIONS');
export const DUAL_WRITE_METADATA = 'dualwrite:operation';

/** Injection tokens of the control plane, in one place. */
export const DUAL_WRITE_CONTROL_POOL = Symbol('DUAL_WRITE_CONTROL_POOL');
export const DUAL_WRITE_STORES = Symbol('DUAL_WRITE_STORES');
export const DUAL_WRITE_CONTROL_SETTINGS = Symbol('DUAL_WRITE_CONTROL_SETTINGS');

/** Injection tokens of the worker. */
export const PLATFORM_CONFIG = Symbol('PLATFORM_CONFIG');

/** Injection tokens of the worker's distributed runs. */
export const RUN_SETTINGS = Symbol('RUN_SETTINGS');
export const RUN_ENTITIES = Symbol('RUN_ENTITIES');
export const RUN_COORDINATOR = Symbol('RUN_COORDINATOR');

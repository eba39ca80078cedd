/** Injection tokens of the API app, in one place. */
export const PLATFORM_CONFIG = Symbol('PLATFORM_CONFIG');
export const API_STORES = Symbol('API_STORES');

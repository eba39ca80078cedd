import type { AdminRole } from '@dualwrite/config';

/** The role AdminAuthGuard found in each accepted request's bearer token, kept beside the request. */
const rolesByRequest = new WeakMap<object, AdminRole>();

export function rememberAdminRole(request: object, role: AdminRole): void {
  rolesByRequest.set(request, role);
}

/** The caller's role when AdminAuthGuard accepted the request's token; null on a route it did not guard. */
export function adminRoleOf(request: object): AdminRole | null {
  return rolesByRequest.get(request) ?? null;
}

import { SetMetadata } from '@nestjs/common';
import type { AdminRole as AdminRoleName } from '@dualwrite/config';

export const ADMIN_ROLE_METADATA = 'dualwrite:admin-role';

/** The lowest role a route (or every route of a controller) needs. Only metadata: AdminAuthGuard enforces it. */
export const AdminRole = (role: AdminRoleName) => SetMetadata(ADMIN_ROLE_METADATA, role);

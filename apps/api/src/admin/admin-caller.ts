import { Injectable } from '@nestjs/common';
import { adminRoleOf } from '../admin-auth/admin-caller-role';
import type { ExpressRequestLike } from '../http/express-shapes';

/**
 * Who made an admin request, as it goes into audit fields such as the flag history's `changed_by`: the role
 * AdminAuthGuard found in the bearer token ("operator token"), never the token itself.
 */
@Injectable()
export class AdminCaller {
  labelOf(request: ExpressRequestLike): string {
    const role = adminRoleOf(request);
    return role === null ? 'unknown admin token' : `${role} token`;
  }
}

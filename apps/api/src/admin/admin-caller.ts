import { Inject, Injectable } from '@nestjs/common';
import type { PlatformConfig } from '@dualwrite/dual-write';
import { AdminTokenVerifier } from '../admin-auth/admin-token-verifier';
import { PLATFORM_CONFIG } from '../api.tokens';
import type { ExpressRequestLike } from '../http/express-shapes';

/**
 * Who made an admin request, as it goes into audit fields such as the flag history's `changed_by`: the role
 * of the bearer token ("operator token"), never the token itself. AdminAuthGuard has already accepted the
 * token when a handler asks.
 */
@Injectable()
export class AdminCaller {
  private readonly verifier: AdminTokenVerifier;

  constructor(@Inject(PLATFORM_CONFIG) config: PlatformConfig) {
    this.verifier = new AdminTokenVerifier(config.adminTokens);
  }

  labelOf(request: ExpressRequestLike): string {
    const header = request.headers.authorization;
    const token = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
    const role = token === undefined ? null : this.verifier.roleOf(token);
    return role === null ? 'unknown admin token' : `${role} token`;
  }
}

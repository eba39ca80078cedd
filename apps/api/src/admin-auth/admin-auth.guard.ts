import {
  ForbiddenException,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AdminRole } from '@dualwrite/config';
import type { ExpressRequestLike, ExpressResponseLike } from '../http/express-shapes';
import { rememberAdminRole } from './admin-caller-role';
import { ADMIN_ROLE_METADATA } from './admin-role.decorator';
import { AdminTokenVerifier, roleSatisfies } from './admin-token-verifier';

/** Routes under this prefix without an @AdminRole need the highest role: a forgotten decorator fails closed. */
const ADMIN_PATH_PREFIX = '/admin/';

/** Global guard: enforces @AdminRole with the bearer token of the request. */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: AdminTokenVerifier,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<ExpressRequestLike>();
    const required = this.requiredRole(context, request);
    if (required === null) return true;

    const response = context.switchToHttp().getResponse<ExpressResponseLike>();
    const token = bearerTokenOf(request);
    if (token === null) {
      response.setHeader('WWW-Authenticate', 'Bearer realm="dualwrite-admin"');
      throw new UnauthorizedException('Missing bearer token: send "Authorization: Bearer <admin token>" (ADMIN_TOKENS).');
    }
    const role = this.verifier.roleOf(token);
    if (role === null) {
      response.setHeader('WWW-Authenticate', 'Bearer realm="dualwrite-admin", error="invalid_token"');
      throw new UnauthorizedException('Bearer token not recognised: it matches none of ADMIN_TOKENS.');
    }
    if (!roleSatisfies(role, required)) {
      throw new ForbiddenException(`This route needs the ${required} role or higher; the token has the ${role} role.`);
    }
    rememberAdminRole(request, role);
    return true;
  }

  private requiredRole(context: ExecutionContext, request: ExpressRequestLike): AdminRole | null {
    const declared = this.reflector.getAllAndOverride<AdminRole | undefined>(ADMIN_ROLE_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (declared) return declared;
    const path = (request.path ?? '').toLowerCase();
    return path.startsWith(ADMIN_PATH_PREFIX) ? 'admin' : null;
  }
}

function bearerTokenOf(request: ExpressRequestLike): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

import { createHash, timingSafeEqual } from 'node:crypto';
import { ADMIN_ROLES, type AdminRole, type AdminToken } from '@dualwrite/config';

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** True when `role` is at least `required` in viewer < operator < admin. */
export function roleSatisfies(role: AdminRole, required: AdminRole): boolean {
  return ADMIN_ROLES.indexOf(role) >= ADMIN_ROLES.indexOf(required);
}

/**
 * Knows the configured admin tokens only by their SHA-256 digests. Comparing fixed-length digests with
 * timingSafeEqual, against every entry without stopping early, keeps the timing independent of the token.
 */
export class AdminTokenVerifier {
  private readonly digests: { role: AdminRole; digest: Buffer }[];

  constructor(tokens: AdminToken[]) {
    this.digests = tokens.map(({ role, token }) => ({ role, digest: sha256(token) }));
  }

  /** The highest role the presented token grants, or null when it matches no configured token. */
  roleOf(presented: string): AdminRole | null {
    const digest = sha256(presented);
    let granted: AdminRole | null = null;
    for (const entry of this.digests) {
      if (timingSafeEqual(entry.digest, digest) && (granted === null || roleSatisfies(entry.role, granted))) {
        granted = entry.role;
      }
    }
    return granted;
  }
}

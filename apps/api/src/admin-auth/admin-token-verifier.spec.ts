import { AdminTokenVerifier } from './admin-token-verifier';

describe('AdminTokenVerifier', () => {
  const verifier = new AdminTokenVerifier([
    { role: 'viewer', token: 'viewer-token-0123456789' },
    { role: 'admin', token: 'admin-token-0123456789' },
    { role: 'operator', token: 'shared-token-0123456789' },
    { role: 'admin', token: 'shared-token-0123456789' },
  ]);

  it('returns the role of a configured token', () => {
    expect(verifier.roleOf('viewer-token-0123456789')).toBe('viewer');
  });

  it('returns null for a token that matches none, including a prefix of one', () => {
    expect(verifier.roleOf('viewer-token-012345678')).toBeNull();
  });

  it('grants the highest role when a token is listed under several roles', () => {
    expect(verifier.roleOf('shared-token-0123456789')).toBe('admin');
  });
});

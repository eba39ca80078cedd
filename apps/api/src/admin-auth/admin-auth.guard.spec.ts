import { Controller, Get, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type { App } from 'supertest/types';
import { DEGRADED_ENV, adminTokenFor, bearer, testConfig } from '../testing/test-config';
import { startTestApiApp, type TestApiApp } from '../testing/test-api-app';
import { AdminAuthModule } from './admin-auth.module';
import { AdminRole } from './admin-role.decorator';

/** Test-only routes: one per required role, and one under /admin that forgot its @AdminRole. */
@Controller('admin/guard-probe')
class GuardProbeController {
  @Get('operator')
  @AdminRole('operator')
  operatorOnly(): { ok: true } {
    return { ok: true };
  }

  @Get('undeclared')
  undeclared(): { ok: true } {
    return { ok: true };
  }
}

@Controller('public-probe')
class PublicProbeController {
  @Get()
  open(): { ok: true } {
    return { ok: true };
  }
}

const config = testConfig(DEGRADED_ENV);

describe('AdminAuthGuard on the API', () => {
  let api: TestApiApp;

  beforeAll(async () => {
    api = await startTestApiApp(config);
  });
  afterAll(() => api.close());

  it('answers 401 with WWW-Authenticate: Bearer when no token is sent', async () => {
    const response = await request(api.server).get('/admin/health');

    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer /);
    expect(response.body).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: expect.stringContaining('Missing bearer token'),
    });
  });

  it('answers 401 for an unknown token without echoing it', async () => {
    const wrongToken = `wrong-token-${Date.now()}-abcdef`;

    const response = await request(api.server).get('/admin/health').set(bearer(wrongToken));

    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(response.body.message).toContain('not recognised');
    expect(JSON.stringify(response.body)).not.toContain(wrongToken);
  });

  it('answers 401 for a non-bearer Authorization header', async () => {
    const response = await request(api.server)
      .get('/admin/health')
      .set('Authorization', `Basic ${Buffer.from('viewer:x').toString('base64')}`);

    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer /);
  });
});

describe('AdminAuthGuard roles (test-only routes)', () => {
  let app: INestApplication;
  let server: App;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [AdminAuthModule.forRoot(config.adminTokens)],
      controllers: [GuardProbeController, PublicProbeController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    server = app.getHttpServer() as App;
  });
  afterAll(() => app.close());

  it('answers 403 naming both roles when a viewer calls an operator route', async () => {
    const response = await request(server).get('/admin/guard-probe/operator').set(bearer(adminTokenFor(config, 'viewer')));

    expect(response.status).toBe(403);
    expect(response.body).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      message: 'This route needs the operator role or higher; the token has the viewer role.',
    });
  });

  it('lets an operator call an operator route', async () => {
    const response = await request(server).get('/admin/guard-probe/operator').set(bearer(adminTokenFor(config, 'operator')));

    expect(response.status).toBe(200);
  });

  it('lets an admin call an operator route (roles are ordered)', async () => {
    const response = await request(server).get('/admin/guard-probe/operator').set(bearer(adminTokenFor(config, 'admin')));

    expect(response.status).toBe(200);
  });

  it('requires the admin role on an /admin route that declares no role', async () => {
    const asOperator = await request(server).get('/admin/guard-probe/undeclared').set(bearer(adminTokenFor(config, 'operator')));
    const asAdmin = await request(server).get('/admin/guard-probe/undeclared').set(bearer(adminTokenFor(config, 'admin')));

    expect(asOperator.status).toBe(403);
    expect(asAdmin.status).toBe(200);
  });

  it('leaves routes outside /admin without a role open', async () => {
    const response = await request(server).get('/public-probe');

    expect(response.status).toBe(200);
  });
});

import { Global, Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { createPrismaClient, exampleEntities } from '@dualwrite/example-domain';
import { Pool } from 'pg';
import request from 'supertest';
import { v7 as uuidv7 } from 'uuid';
import { StoreBreakers } from '../breakers/store-breakers';
import { EngineTestKit } from '../../test/engine-test-kit';
import { FlagRepository } from '../flags/flag-repository';
import { OperationLedger } from '../ledger/operation-ledger';
import { DualWriteModule } from '../module/dual-write.module';
import { DualWriteService } from '../module/dual-write.service';
import { PrismaStore } from '@dualwrite/stores';
import { StoreUnavailableError } from '@dualwrite/stores';
import { exampleTestDomain, prepareControlDatabase } from '@dualwrite/testing';
import { DualWriteMetricsModule } from './dual-write-metrics.module';
import { eventually } from '@dualwrite/testing';
import { PrometheusDualWriteMetrics } from './prometheus-dual-write-metrics';

const PROMETHEUS_TEXT = /^text\/plain; version=0\.0\.4/;

/** Serves `metrics` at GET /metrics the way a host does: DualWriteMetricsModule next to a global provider. */
async function serve(metrics: PrometheusDualWriteMetrics): Promise<INestApplication> {
  @Global()
  @Module({ providers: [{ provide: PrometheusDualWriteMetrics, useValue: metrics }], exports: [PrometheusDualWriteMetrics] })
  class MetricsProviderModule {}
  const moduleRef = await Test.createTestingModule({ imports: [MetricsProviderModule, DualWriteMetricsModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

/** The value of one sample line, e.g. `dualwrite_replay_queue_depth 3`. */
function sample(text: string, line: string): number | undefined {
  const found = text.split('\n').find((candidate) => candidate.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

describe('GET /metrics after engine writes on real stores', () => {
  const kit = new EngineTestKit(exampleTestDomain);
  const metrics = new PrometheusDualWriteMetrics();
  let app: INestApplication;

  beforeAll(async () => {
    await kit.start('dw_control_metrics_spec');
    app = await serve(metrics);
  });

  afterAll(async () => {
    await app.close();
    await kit.stop();
  });

  it('answers the Prometheus text format with each store write latency histogram by store, role and operation', async () => {
    await kit.setFlags({ enableDualWrite: true, enableSupabasePrimary: false });
    await kit.engine({ metrics }).create({ entity: 'budgets' }, kit.budget(await kit.owner()));

    const response = await request(app.getHttpServer()).get('/metrics');

    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(PROMETHEUS_TEXT);
    expect(response.text).toContain('# TYPE dualwrite_store_write_duration_seconds histogram');
    expect(sample(response.text, 'dualwrite_store_write_duration_seconds_count{store="prisma",role="primary",operation="create"}')).toBe(1);
    expect(sample(response.text, 'dualwrite_store_write_duration_seconds_count{store="supabase",role="secondary",operation="create"}')).toBe(1);
    expect(response.text).toContain('dualwrite_store_write_duration_seconds_bucket{le="0.1",store="prisma",role="primary",operation="create"}');
    expect(sample(response.text, 'dualwrite_store_calls_total{store="supabase",role="secondary",operation="create",kind="write",status="ok"}')).toBe(1);
  });

  it('times reads too, the shadow read of the secondary included', async () => {
    await kit.setFlags({ enableDualWrite: true, enableSupabasePrimary: false });
    const engine = kit.engine({ metrics });
    const written = await engine.create({ entity: 'budgets' }, kit.budget(await kit.owner()));
    await engine.find('budgets', String(written.data['id']));

    const text = await eventually(async () => {
      const body = (await request(app.getHttpServer()).get('/metrics')).text;
      return sample(body, 'dualwrite_store_read_duration_seconds_count{store="supabase",role="secondary",operation="find"}') ? body : undefined;
    });

    expect(sample(text, 'dualwrite_store_read_duration_seconds_count{store="prisma",role="primary",operation="find"}')).toBe(1);
  });

  it('counts the diffs queued, by severity', async () => {
    await kit.setFlags({ enableDualWrite: true, enableSupabasePrimary: false });
    const engine = kit.engine({ metrics });
    const written = await engine.create({ entity: 'budgets' }, kit.budget(await kit.owner()));
    const id = String(written.data['id']);
    const budgets = kit.entities.get('budgets');
    await kit.supabase.update(budgets, id, { amount: '999.99' });

    await engine.find('budgets', id);

    await eventually(async () => sample(await metrics.text(), 'dualwrite_diffs_total{severity="error"}'));
  });
});

describe('gauges read on each scrape', () => {
  const kit = new EngineTestKit(exampleTestDomain);
  let ledger: OperationLedger;
  let pool: Pool;

  beforeAll(async () => {
    await kit.start('dw_control_metrics_spec');
    pool = kit.pool;
    ledger = kit.ledger;
    await pool.query(`delete from dual_write_ops where status = 'secondary_pending'`);
  });

  afterAll(() => kit.stop());

  it('exports each store breaker state (0 closed, 2 open, 3 isolated), both queue depths and the replay lag', async () => {
    const breakers = new StoreBreakers({ stores: ['prisma', 'supabase', 'third'], settings: { failureThreshold: 1 } });
    await breakers.execute('supabase', () => Promise.reject(new StoreUnavailableError('supabase', 'down'))).catch(() => undefined);
    breakers.isolate('third');
    const owed = uuidv7();
    await ledger.recordOwed({ opId: owed, entity: 'budgets', operation: 'create', entityIds: [], payload: {}, primaryStore: 'prisma', secondaryStore: 'supabase' }, null, new Error('supabase down'));
    await pool.query(`update dual_write_ops set created_at = now() - interval '90 seconds' where op_id = $1`, [owed]);
    await kit.replayQueue.enqueue(owed);
    await kit.replayQueue.enqueue(uuidv7());
    await kit.diffQueue.record({ diffId: uuidv7(), apiEndpoint: 'x', entity: 'budgets', entityId: null, operation: 'read', severity: 'info', differences: [], primaryStore: 'prisma', secondaryStore: 'supabase', primaryLatencyMs: 1, secondaryLatencyMs: 1, seenAt: new Date().toISOString() });
    const metrics = new PrometheusDualWriteMetrics({ breakers, replayQueue: kit.replayQueue, diffQueue: kit.diffQueue, ledger });

    const text = await metrics.text();

    expect(sample(text, 'dualwrite_breaker_state{store="prisma"}')).toBe(0);
    expect(sample(text, 'dualwrite_breaker_state{store="supabase"}')).toBe(2);
    expect(sample(text, 'dualwrite_breaker_state{store="third"}')).toBe(3);
    expect(sample(text, 'dualwrite_replay_queue_depth')).toBe(2);
    expect(sample(text, 'dualwrite_diff_queue_depth')).toBe(1);
    expect(sample(text, 'dualwrite_replay_lag_seconds')).toBeGreaterThanOrEqual(90);
    expect(sample(text, 'dualwrite_replay_lag_seconds')).toBeLessThan(600);
  });

  it('uses a registry of its own, not prom-client global one', async () => {
    const { register } = await import('prom-client');
    new PrometheusDualWriteMetrics();

    expect(await register.getSingleMetric('dualwrite_store_write_duration_seconds')).toBeUndefined();
  });
});

describe('DualWriteModule with DualWriteMetricsModule', () => {
  let app: INestApplication;
  let pool: Pool;

  beforeAll(async () => {
    const controlDatabaseUrl = await prepareControlDatabase('dw_control_metrics_module_spec');
    pool = new Pool({ connectionString: controlDatabaseUrl, max: 2 });
    await new FlagRepository(pool).change({ next: { enableDualWrite: false, enableSupabasePrimary: false }, changedBy: 'metrics spec', source: 'cli', reason: 'phase 1: store A only' });
    const primaryUrl = process.env['PRIMARY_DATABASE_URL'] as string;
    const moduleRef = await Test.createTestingModule({
      imports: [
        DualWriteModule.forRoot({
          stores: { a: new PrismaStore(createPrismaClient(primaryUrl), { ownsClient: true }), b: null },
          entities: exampleEntities,
          controlDatabaseUrl,
          redisUrl: process.env['REDIS_URL'] as string,
        }),
        DualWriteMetricsModule,
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });

  afterAll(async () => {
    await app.close();
    await pool.end();
  });

  it('wires the engine to the registry GET /metrics serves', async () => {
    const owner = uuidv7();
    await app.get(DualWriteService).create('users', { id: owner, email: `${owner}@metrics.test`, displayName: 'Metrics' });

    const response = await request(app.getHttpServer()).get('/metrics');

    expect(response.headers['content-type']).toMatch(PROMETHEUS_TEXT);
    expect(sample(response.text, 'dualwrite_store_write_duration_seconds_count{store="prisma",role="primary",operation="create"}')).toBe(1);
    expect(sample(response.text, 'dualwrite_breaker_state{store="prisma"}')).toBe(0);
    expect(response.text).toContain('dualwrite_replay_lag_seconds');
    await app.get(DualWriteService).delete('users', owner);
  });
});

import { v7 as uuidv7 } from 'uuid';
import type { DemoApi } from './api-client';

export interface TrafficReport {
  budgetIds: string[];
  opIds: string[];
  modes: Set<string>;
}

/** Host traffic: a user and some budgets created, one renamed, each read back, through the example API. */
export async function sendTraffic(api: DemoApi, label: string, budgets: number): Promise<TrafficReport> {
  const report: TrafficReport = { budgetIds: [], opIds: [], modes: new Set() };
  const note = (headers: Headers, kind: 'write' | 'read' = 'write') => {
    const opId = headers.get('x-dualwrite-op-id');
    if (opId && kind === 'write') report.opIds.push(opId);
    const mode = headers.get('x-dualwrite-mode');
    if (mode) report.modes.add(mode);
  };
  const user = await api.expect('POST', '/app/signup', 201, { email: `demo-${label}-${uuidv7()}@example.test`, displayName: `Demo ${label}` });
  note(user.headers);
  for (let i = 0; i < budgets; i += 1) {
    const budget = await api.expect('POST', '/api/budgets', 201, {
      ownerId: user.body['id'],
      name: `${label} budget ${i + 1}`,
      amount: `${(i + 1) * 10}.50`,
      currency: 'EUR',
      metadata: { phase: label, index: i },
    });
    note(budget.headers);
    report.budgetIds.push(String(budget.body['id']));
    const read = await api.expect('GET', `/api/budgets/${String(budget.body['id'])}`, 200);
    note(read.headers, 'read');
  }
  const first = report.budgetIds[0];
  if (first) note((await api.expect('PATCH', `/app/budgets/${first}/rename`, 200, { name: `${label} budget 1 (renamed)` })).headers);
  return report;
}

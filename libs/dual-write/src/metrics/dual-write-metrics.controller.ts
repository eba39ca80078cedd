import type { ServerResponse } from 'node:http';
import { Controller, Get, Res } from '@nestjs/common';
import { PrometheusDualWriteMetrics } from './prometheus-dual-write-metrics';

/** `GET /metrics` in Prometheus' text format, from the dual-write module's own registry. */
@Controller()
export class DualWriteMetricsController {
  constructor(private readonly metrics: PrometheusDualWriteMetrics) {}

  // Written on the raw response: Express would rewrite the content type (`charset=utf-8; version=0.0.4`).
  @Get('metrics')
  async scrape(@Res() response: ServerResponse): Promise<void> {
    const body = await this.metrics.text();
    response.statusCode = 200;
    response.setHeader('Content-Type', this.metrics.contentType);
    response.setHeader('Cache-Control', 'no-store');
    response.end(body);
  }
}

/** Sends a pipeline's JSON notification (POST to NOTIFICATION_WEBHOOK). */
export interface PipelineNotifier {
  notify(payload: PipelineNotification): Promise<void>;
}

export interface PipelineNotification {
  event: 'migration_pipeline_failed';
  store: string;
  /** The database name (never the connection string). */
  database: string;
  result: string;
  failedStep?: string;
  error?: string;
  backupId?: string;
  rolledBack: boolean;
  restoreError?: string;
  steps: { step: string; outcome: string; durationMs: number; error?: string }[];
  at: string;
}

export class WebhookNotifier implements PipelineNotifier {
  constructor(
    private readonly url: string,
    private readonly timeoutMs = 5000,
  ) {}

  async notify(payload: PipelineNotification): Promise<void> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!response.ok) throw new Error(`webhook answered ${response.status} ${response.statusText}`);
  }
}

import type { Options } from 'pino-http';
import { redactSensitiveFields, redactUrl } from './redact-sensitive';

interface SerializedRequest {
  url?: string;
  headers?: unknown;
  query?: unknown;
  [field: string]: unknown;
}

interface SerializedResponse {
  headers?: unknown;
  [field: string]: unknown;
}

/**
 * JSON logs for the API. pino-http hands these serializers the standard serialized request and response;
 * headers, query and URL lose their secrets there, and every other logged object in `formatters.log`.
 */
export function pinoHttpOptions(level: string): Options {
  return {
    level,
    formatters: {
      log: (object) => redactSensitiveFields(object) as Record<string, unknown>,
    },
    serializers: {
      req: (request: SerializedRequest) => ({
        ...request,
        url: typeof request.url === 'string' ? redactUrl(request.url) : request.url,
        headers: redactSensitiveFields(request.headers),
        query: redactSensitiveFields(request.query),
      }),
      res: (response: SerializedResponse) => ({ ...response, headers: redactSensitiveFields(response.headers) }),
    },
  };
}

/** Field and header names whose values never reach a log line. */
export const SENSITIVE_NAME = /authorization|cookie|apikey|token|key|password|passwd|secret|credential/i;
export const REDACTED = '[Redacted]';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  // Compared by shape, not with `Object.prototype`: objects made by Node core (request headers) come from
  // another realm under Jest, and their Object.prototype is a different object.
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === null || Object.getPrototypeOf(prototype) === null;
}

/**
 * Copy of `value` with every sensitive field replaced, at any depth of plain objects and arrays.
 * Class instances (requests, errors) are left as they are: their serializers decide what is printed.
 */
export function redactSensitiveFields(value: unknown, depth = 0): unknown {
  if (depth > 8) return value;
  if (Array.isArray(value)) return value.map((item) => redactSensitiveFields(item, depth + 1));
  if (!isPlainObject(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(value)) {
    copy[name] = SENSITIVE_NAME.test(name) ? REDACTED : redactSensitiveFields(field, depth + 1);
  }
  return copy;
}

/** A request URL with the values of sensitive query parameters replaced (`/x?token=abc` → `/x?token=[Redacted]`). */
export function redactUrl(url: string): string {
  const queryAt = url.indexOf('?');
  if (queryAt < 0) return url;
  const query = url
    .slice(queryAt + 1)
    .split('&')
    .map((pair) => {
      const name = decodeURIComponentSafe(pair.split('=')[0] ?? '');
      return SENSITIVE_NAME.test(name) ? `${pair.split('=')[0]}=${REDACTED}` : pair;
    })
    .join('&');
  return `${url.slice(0, queryAt)}?${query}`;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

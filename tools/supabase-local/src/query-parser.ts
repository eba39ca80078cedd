import type { IncomingHttpHeaders } from 'node:http';
import { isIdentifier } from './identifiers';
import { PostgrestError, badRequest } from './postgrest-errors';

/** One entry of `select=`: `*`, `column`, `alias:column`, `column::type`, `alias:column::type`. */
export type SelectItem = { kind: 'star' } | { kind: 'column'; column: string; alias?: string; cast?: string };

export type FilterOperator = 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'like' | 'ilike' | 'in' | 'is';

export interface Filter {
  column: string;
  operator: FilterOperator;
  negated: boolean;
  /** One value, the list of `in`, or the keyword of `is`. */
  value: string | string[];
}

export interface OrderTerm {
  column: string;
  descending: boolean;
  nulls?: 'first' | 'last';
}

export interface ParsedQuery {
  select: SelectItem[];
  filters: Filter[];
  order: OrderTerm[];
  limit?: number;
  offset?: number;
  onConflict?: string[];
  columns?: string[];
  /** Query parameters that are not reserved words, for RPC GET arguments. */
  unreserved: [string, string][];
}

const operators: readonly FilterOperator[] = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike', 'in', 'is'];
const isKeywords = new Set(['null', 'true', 'false', 'unknown']);
const reserved = new Set(['select', 'order', 'limit', 'offset', 'on_conflict', 'columns']);

function checkName(name: string, where: string): string {
  if (!isIdentifier(name)) throw badRequest(`"${name}" in ${where} is not a plain column name`, 'supabase-local supports plain column names only (no JSON paths, no embedding)');
  return name;
}

/** Splits on commas outside double quotes and parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (const char of text) {
    if (char === '"') quoted = !quoted;
    if (!quoted && char === '(') depth++;
    if (!quoted && char === ')') depth--;
    if (char === ',' && !quoted && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts;
}

function unquote(text: string): string {
  return text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1).replace(/\\(.)/g, '$1') : text;
}

export function parseSelect(text: string | null): SelectItem[] {
  if (text === null || text === '' || text === '*') return [{ kind: 'star' }];
  return splitTopLevel(text).map((raw): SelectItem => {
    if (raw === '*') return { kind: 'star' };
    if (raw.includes('(')) throw badRequest(`"${raw}" embeds a resource`, 'supabase-local does not implement resource embedding', 'PGRST100');
    const match = raw.match(/^(?:([^:]+):(?!:))?([^:]+)(?:::(.+))?$/);
    if (!match) throw badRequest(`failed to parse select parameter (${text})`);
    const [, alias, column, cast] = match;
    return {
      kind: 'column',
      column: checkName(unquote(column as string), 'select'),
      ...(alias !== undefined ? { alias: checkName(unquote(alias), 'select') } : {}),
      ...(cast !== undefined ? { cast } : {}),
    };
  });
}

export function parseFilter(column: string, text: string): Filter {
  checkName(column, 'filter');
  const negated = text.startsWith('not.');
  const body = negated ? text.slice(4) : text;
  const dot = body.indexOf('.');
  const operator = (dot < 0 ? body : body.slice(0, dot)) as FilterOperator;
  if (dot < 0 || !operators.includes(operator)) {
    throw badRequest(`failed to parse filter (${text}) on "${column}"`, `supported operators: ${operators.join(', ')} (optionally after not.)`);
  }
  const value = body.slice(dot + 1);
  if (operator === 'in') {
    const list = value.match(/^\((.*)\)$/s);
    if (!list) throw badRequest(`failed to parse filter (${text}): in needs a list like in.(a,b)`);
    const items = list[1] === '' ? [] : splitTopLevel(list[1] as string).map(unquote);
    return { column, operator, negated, value: items };
  }
  if (operator === 'is' && !isKeywords.has(value.toLowerCase())) {
    throw badRequest(`failed to parse filter (${text}): is takes null, true, false or unknown`);
  }
  return { column, operator, negated, value: operator === 'is' ? value.toLowerCase() : value };
}

export function parseOrder(text: string | null): OrderTerm[] {
  if (text === null || text === '') return [];
  return splitTopLevel(text).map((term) => {
    const [column, ...modifiers] = term.split('.');
    const order: OrderTerm = { column: checkName(column ?? '', 'order'), descending: false };
    for (const modifier of modifiers) {
      if (modifier === 'asc' || modifier === 'desc') order.descending = modifier === 'desc';
      else if (modifier === 'nullsfirst' || modifier === 'nullslast') order.nulls = modifier === 'nullsfirst' ? 'first' : 'last';
      else throw badRequest(`failed to parse order (${text})`, `unknown modifier "${modifier}"`);
    }
    return order;
  });
}

function parseCount(name: string, text: string | null): number | undefined {
  if (text === null) return undefined;
  if (!/^\d+$/.test(text)) throw badRequest(`failed to parse ${name} parameter (${text})`);
  return Number(text);
}

function parseNameList(name: string, text: string | null): string[] | undefined {
  if (text === null) return undefined;
  return splitTopLevel(text).map((item) => checkName(unquote(item.trim()), name));
}

export function parseQuery(params: URLSearchParams, options: { filtersFromArguments?: Set<string> } = {}): ParsedQuery {
  const filters: Filter[] = [];
  const unreserved: [string, string][] = [];
  for (const [key, value] of params) {
    if (reserved.has(key)) continue;
    if (key === 'or' || key === 'and' || key === 'not.or' || key === 'not.and') {
      throw badRequest(`logical operator "${key}" is not supported by supabase-local`);
    }
    unreserved.push([key, value]);
    if (options.filtersFromArguments?.has(key)) continue;
    filters.push(parseFilter(key, value));
  }
  const limit = parseCount('limit', params.get('limit'));
  const offset = parseCount('offset', params.get('offset'));
  const onConflict = parseNameList('on_conflict', params.get('on_conflict'));
  const columns = parseNameList('columns', params.get('columns'));
  return {
    select: parseSelect(params.get('select')),
    filters,
    order: parseOrder(params.get('order')),
    ...(limit !== undefined ? { limit } : {}),
    ...(offset !== undefined ? { offset } : {}),
    ...(onConflict ? { onConflict } : {}),
    ...(columns ? { columns } : {}),
    unreserved,
  };
}

/** `Range: 0-9` (items, inclusive) as offset and limit; an open end (`10-`) has no limit. */
export function parseRangeHeader(headers: IncomingHttpHeaders): { offset: number; limit?: number } | undefined {
  const raw = headers['range'];
  if (raw === undefined) return undefined;
  const match = raw.match(/^(?:items=)?(\d+)-(\d*)$/);
  if (!match) throw new PostgrestError(416, 'PGRST103', 'Requested range not satisfiable', `Range header "${raw}" is not "<from>-<to>"`);
  const from = Number(match[1]);
  if (match[2] === '') return { offset: from };
  const to = Number(match[2]);
  if (to < from) throw new PostgrestError(416, 'PGRST103', 'Requested range not satisfiable', `Range header "${raw}" ends before it starts`);
  return { offset: from, limit: to - from + 1 };
}

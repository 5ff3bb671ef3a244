// A filter read into index terms: each field's values (exact, or prefixes written `src/*`), the
// indexed attributes as field-5 values, the other attributes as JSON comparisons, and the
// subjects of another filter (`subjects_from`). query.ts turns the terms into SQL.
import { ValidationError } from '../errors.js';
import { fold } from './fold.js';
import { ATTR_FIELD_CODE, ATTR_KEY, INDEXED_ATTRIBUTES, attrIndexValue } from './attr-index.js';
import { FIELD_CODE, type AttestationFilter, type FieldName } from './types.js';

export interface Term {
  /** attestation_fields.field */
  code: number;
  /** Compared with attestation_fields.folded: folded values (attribute rows: as written). */
  exact: string[];
  /** Folded prefixes: `folded >= p and folded < successor(p)`. */
  prefixes: string[];
  /** The subjects of another filter's matches (the subject term only). */
  from?: AttestationFilter;
}

export interface JsonAttr {
  key: string;
  /** JSON texts the attribute may have (`"v"`, and `3` or `true` when the value reads as one). */
  texts: string[];
}

/**
 * Most prefix values (`src/*`) one filter may hold, over all its fields and `subjects_from`. Each
 * is a value range OR-ed into the SQL: SQLite refuses an expression nested past 1,000 levels
 * ("Expression tree is too large", 996 prefixes in one field), and each range is a walk of its
 * own. The canvas and the CLI send a handful.
 */
export const MAX_FILTER_PREFIXES = 100;

/**
 * Most values one filter may hold over all its fields: subjects, predicates, contexts, actors,
 * every attribute value, and those of `subjects_from`. Each field takes 1,000 at most (the API's
 * schemas); without this, 32 attribute keys of 1,000 values (each one or two SQL parameters)
 * passed SQLite's 32,766 parameters ("too many SQL variables"). 1,000 predicates × 1,000 contexts
 * stay within it: what they cost is held by the query time limit.
 */
export const MAX_FILTER_TERMS = 4000;

/** Most selective first: subjects and contexts are usually rare, predicates common. */
const DRIVE_ORDER: readonly FieldName[] = ['subjects', 'contexts', 'actors'];

/** `src/*` is a prefix; `\*` at the end is a literal star. */
export function splitValue(v: string): { exact?: string; prefix?: string } {
  if (v.endsWith('\\*')) return { exact: v.slice(0, -2) + '*' };
  if (v.endsWith('*') && v.length > 1) return { prefix: v.slice(0, -1) };
  return { exact: v };
}

/** The least string greater than every string starting with `p` (in code point = UTF-8 byte order). */
export function prefixEnd(p: string): string {
  const cps = [...p];
  while (cps.length) {
    const last = cps.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
      return cps.join('') + String.fromCodePoint(next);
    }
  }
  return '\u{10FFFF}\u{10FFFF}';
}

function term(code: number, values: readonly string[] | undefined): Term | null {
  if (!values?.length) return null;
  const t: Term = { code, exact: [], prefixes: [] };
  for (const v of values) {
    const s = splitValue(v);
    if (s.exact !== undefined) t.exact.push(fold(s.exact));
    else t.prefixes.push(fold(s.prefix!));
  }
  t.exact = [...new Set(t.exact)];
  t.prefixes = [...new Set(t.prefixes)];
  return t;
}

function jsonTexts(v: string): string[] {
  const texts = [JSON.stringify(v)];
  if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(v) && Number.isFinite(Number(v))) texts.push(JSON.stringify(Number(v)));
  if (v === 'true' || v === 'false') texts.push(v);
  return texts;
}

export interface FilterTerms {
  /** In drive order: the first one drives the query. */
  terms: Term[];
  json: JsonAttr[];
}

/** The values and the prefix values of a filter, `subjects_from` included. */
function filterSize(f: AttestationFilter): { values: number; prefixes: number } {
  const lists = [f.subjects, f.predicates, f.contexts, f.actors];
  let values = 0;
  let prefixes = 0;
  for (const list of lists) {
    for (const v of list ?? []) {
      values++;
      if (splitValue(v).prefix !== undefined) prefixes++;
    }
  }
  for (const vs of Object.values(f.attributes ?? {})) values += vs.length;
  if (f.subjects_from) {
    const inner = filterSize(f.subjects_from);
    values += inner.values;
    prefixes += inner.prefixes;
  }
  return { values, prefixes };
}

/** Refuses a filter past the bounds of its cost (a 400 naming the bound, before any SQL is built). */
function checkCost(f: AttestationFilter): void {
  const { values, prefixes } = filterSize(f);
  if (prefixes > MAX_FILTER_PREFIXES) {
    throw new ValidationError(`a filter takes at most ${MAX_FILTER_PREFIXES} prefix values (value*)`, {
      details: [`prefixes=${prefixes}, at most ${MAX_FILTER_PREFIXES}`],
      hint: 'use a shorter common prefix, or exact values',
    });
  }
  if (values > MAX_FILTER_TERMS) {
    throw new ValidationError(`a filter takes at most ${MAX_FILTER_TERMS} values over all its fields`, {
      details: [`values=${values}, at most ${MAX_FILTER_TERMS}`],
      hint: 'split the query',
    });
  }
}

/**
 * Reads a filter into terms; a filter past its cost bounds, or on unindexed attributes alone (it
 * would scan), is refused.
 */
export function filterTerms(f: AttestationFilter): FilterTerms {
  checkCost(f);
  const terms: Term[] = [];
  const subjects = term(FIELD_CODE.subjects, f.subjects);
  if (f.subjects_from) {
    const from: Term = { code: FIELD_CODE.subjects, exact: [], prefixes: [], from: f.subjects_from };
    terms.push(from);
  }
  if (subjects) terms.push(subjects);
  for (const name of DRIVE_ORDER.slice(1)) {
    const t = term(FIELD_CODE[name], f[name]);
    if (t) terms.push(t);
  }
  const json: JsonAttr[] = [];
  for (const [key, values] of Object.entries(f.attributes ?? {})) {
    if (!ATTR_KEY.test(key)) {
      throw new ValidationError(`invalid attribute name '${key.slice(0, 80)}'`, { details: [`attr=${key.slice(0, 80)}`], hint: 'attribute filters name 1-64 letters, digits, _ or -' });
    }
    if (!values.length) continue;
    if (INDEXED_ATTRIBUTES.has(key)) {
      terms.push({ code: ATTR_FIELD_CODE, exact: values.map((v) => attrIndexValue(key, v) ?? `${key}=${v}`), prefixes: [] });
    } else json.push({ key, texts: values.flatMap(jsonTexts) });
  }
  const predicates = term(FIELD_CODE.predicates, f.predicates);
  if (predicates) terms.push(predicates);
  if (json.length && !terms.length) {
    throw new ValidationError(`attribute ${json.map((j) => `'${j.key}'`).join(', ')} is not indexed`, {
      details: json.map((j) => `attr=${j.key}`),
      hint: `combine it with a subject, predicate, context or actor filter, or an indexed attribute (${[...INDEXED_ATTRIBUTES].join(', ')})`,
    });
  }
  return { terms, json };
}

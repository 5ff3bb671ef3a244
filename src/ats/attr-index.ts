// Attribute equality filters (`attr.repo=R`): the attributes the built-in ingesters write are also
// kept in attestation_fields (field 5, value `key=value`), so filtering on them walks an index.
// Others are compared on the attributes JSON and need an indexed filter beside them.
import { MAX_VALUE_BYTES } from './types.js';

/** attestation_fields.field of indexed attribute rows. */
export const ATTR_FIELD_CODE = 5;

/** Attributes indexed for equality: those ixgest.git and the manifests write, kept few on purpose. */
export const INDEXED_ATTRIBUTES: ReadonlySet<string> = new Set(['repo', 'change', 'kind', 'ecosystem', 'manifest', 'ref_kind']);

/** Names an attribute filter may use (no dots or quotes: they would need escaping in JSON paths). */
export const ATTR_KEY = /^[A-Za-z0-9_-]{1,64}$/;

/** The text an attribute value is compared as: strings as they are, numbers and booleans as JSON. */
export function attrText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return JSON.stringify(v);
  if (typeof v === 'boolean') return String(v);
  return null;
}

/** The index row value of one attribute, or null when the value is not indexable. */
export function attrIndexValue(key: string, v: unknown): string | null {
  const text = attrText(v);
  if (text === null) return null;
  const value = `${key}=${text}`;
  return Buffer.byteLength(value) <= MAX_VALUE_BYTES ? value : null;
}

/** Index row values of an attestation's indexed attributes. */
export function attrIndexValues(attributes: Record<string, unknown>): string[] {
  const out: string[] = [];
  // Over the attestation's own keys (most have one or two, none of them indexed).
  for (const key in attributes) {
    if (!INDEXED_ATTRIBUTES.has(key) || !Object.hasOwn(attributes, key)) continue;
    const v = attrIndexValue(key, attributes[key]);
    if (v !== null) out.push(v);
  }
  return out;
}

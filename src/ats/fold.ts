// The key identities are compared by: subjects, predicates, contexts, actors and aliases match
// without regard to case. Values are stored and shown as written; beside each one the store
// keeps this key (attestation_fields.folded, ax_alias_edges.*_key), and lookups compare keys.
//
// Upper- then lower-casing (JavaScript's locale-independent mappings) is Unicode's full case
// folding for every script but a few (Cherokee folds to upper case): `Straße` and `STRASSE`,
// `ΣΊΣΥΦΟΣ` and `σίσυφος` meet. It is computed here, in one place, never by SQL's lower(): SQLite's
// folds ASCII only and PostgreSQL's follows the database's locale, so the two would disagree.

/** The comparison key of a subject, predicate, context, actor or alias. */
export function fold(value: string): string {
  // Most values are ASCII: lower-casing is then the whole fold, without two new strings.
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(value)) return value.toLowerCase();
  return value.toUpperCase().toLowerCase();
}

/** The folded key of a field-index row: attribute rows (field 5, `key=value`) stay exact. */
export function foldedRow(field: number, value: string): string {
  return field === 5 ? value : fold(value);
}

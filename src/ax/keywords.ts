// The words of the AX language and the clause each one opens. Keywords are matched
// case-insensitively and only when unquoted: `"is"` is the value is.
export type ValueField = 'subjects' | 'predicates' | 'contexts' | 'actors';
export type TimeKeyword = 'since' | 'until' | 'on' | 'between' | 'over';

export type KeywordRole =
  | { kind: 'field'; field: ValueField }
  | { kind: 'time'; time: TimeKeyword }
  | { kind: 'so' }
  | { kind: 'and' };

/** Every keyword, lower-case, with its role. `has`/`have` read like `is`: `ax has certification`. */
export const KEYWORDS: ReadonlyMap<string, KeywordRole> = new Map<string, KeywordRole>([
  ['is', { kind: 'field', field: 'predicates' }],
  ['are', { kind: 'field', field: 'predicates' }],
  ['has', { kind: 'field', field: 'predicates' }],
  ['have', { kind: 'field', field: 'predicates' }],
  ['of', { kind: 'field', field: 'contexts' }],
  ['from', { kind: 'field', field: 'contexts' }],
  ['by', { kind: 'field', field: 'actors' }],
  ['via', { kind: 'field', field: 'actors' }],
  ['since', { kind: 'time', time: 'since' }],
  ['until', { kind: 'time', time: 'until' }],
  ['on', { kind: 'time', time: 'on' }],
  ['between', { kind: 'time', time: 'between' }],
  ['over', { kind: 'time', time: 'over' }],
  ['so', { kind: 'so' }],
  ['therefore', { kind: 'so' }],
  ['and', { kind: 'and' }],
]);

/** The keyword a written clause starts with in the canonical form. */
export const FIELD_KEYWORD: Readonly<Record<ValueField, string>> = {
  subjects: '',
  predicates: 'is',
  contexts: 'of',
  actors: 'by',
};

/** Inside a time expression only: `since yesterday in Europe/Paris` names the query's time zone. */
export const ZONE_WORD = 'in';

const LONGEST = 9; // "therefore"

export function keywordOf(word: string): KeywordRole | undefined {
  if (word.length > LONGEST || word.length < 2) return undefined;
  return KEYWORDS.get(word.toLowerCase());
}

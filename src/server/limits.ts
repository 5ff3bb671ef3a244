// Bounds of the HTTP surface that are not settings: the body size, the length of a path
// parameter and the JSON nesting depth.
export const BODY_LIMIT = 2 * 1024 * 1024;
/** Characters of one path parameter (an id, a hook's type or id); longer is a 414. */
export const MAX_PARAM_LENGTH = 100;
export { MAX_JSON_DEPTH } from '../ats/json-depth.js';

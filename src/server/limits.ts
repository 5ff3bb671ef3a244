// Bounds of the HTTP surface that are not settings: the body size and the JSON nesting depth.
export const BODY_LIMIT = 2 * 1024 * 1024;
export { MAX_JSON_DEPTH } from '../ats/json-depth.js';

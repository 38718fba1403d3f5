/** Small units with one definition each, shared by the validator, the kernel, the hosts and the CLI. */
export { DURATION_PATTERN, formatDuration, parseDuration } from "./duration.ts";
export { editDistance } from "./levenshtein.ts";
export { isJsonMediaType } from "./media-type.ts";
export { parseSize, SIZE_PATTERN } from "./size.ts";

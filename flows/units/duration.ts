/**
 * Durations as flows write them: digits and a unit, `250ms`, `5s`, `2m`, `1h`, `7d` (days, for retention). The one grammar of the schema
 * (`$defs/duration` of flow.v1.json and every kind's config schema), the validator and the kernel.
 */

/** The grammar, as a JSON Schema `pattern`. */
export const DURATION_PATTERN = "^[0-9]+(ms|s|m|h|d)$";

const DURATION = new RegExp(DURATION_PATTERN);
const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * Parses `"250ms"`, `"5s"`, `"2m"`, `"1h"`, `"7d"` into milliseconds; undefined for anything else.
 * @example parseDuration("5s") // 5000
 */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match) return undefined;
  return Number.parseInt(text, 10) * UNIT_MS[match[1]!]!;
}

/** Formats milliseconds the way flows write durations (`1500` → `"1.5s"`, whole days `"7d"`), for messages. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${ms}ms`;
  if (ms >= UNIT_MS.d! && ms % UNIT_MS.d! === 0) return `${ms / UNIT_MS.d!}d`;
  if (ms >= UNIT_MS.h! && ms % UNIT_MS.h! === 0) return `${ms / UNIT_MS.h!}h`;
  if (ms < 60_000) return `${+(ms / 1_000).toFixed(3)}s`;
  return `${+(ms / 60_000).toFixed(3)}m`;
}

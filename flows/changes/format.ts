import type { Json } from "../ir/types.ts";
import { formatDuration } from "../units/duration.ts";
import type { Change, ChangeOp, ChangeSection } from "./types.ts";

/** Values in messages: short, in backticks (Markdown code, readable in a terminal too). */

const MAX_VALUE = 80;

/** `` `text` ``, cut to 80 characters; a value holding backticks gets a longer fence (CommonMark). */
export function code(value: Json | undefined): string {
  let text = typeof value === "string" ? value : JSON.stringify(value ?? null);
  text = text.replace(/\s*\n\s*/g, " ");
  if (text.length > MAX_VALUE) text = `${text.slice(0, MAX_VALUE - 1)}…`;
  if (!text.includes("`")) return `\`${text}\``;
  const longest = Math.max(...(text.match(/`+/g) ?? [""]).map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  return `${fence} ${text} ${fence}`;
}

/** `1 MiB`, `512 KiB`, `300 B`. */
export function bytes(n: Json): string {
  if (typeof n !== "number") return code(n);
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} B`;
}

/** `30s`, or `none`. */
export const duration = (ms: Json): string => (typeof ms === "number" ? formatDuration(ms) : "none");

/** `a, b` or `none`. */
export const list = (items: readonly string[]): string =>
  items.length === 0 ? "none" : items.map((i) => `\`${i}\``).join(", ");

/** One change; `field`, `before`, `after` and `breaking` default to null. */
export function change(
  section: ChangeSection,
  op: ChangeOp,
  subject: string,
  message: string,
  extra: { field?: string; before?: Json; after?: Json; breaking?: string | null } = {},
): Change {
  return {
    section,
    op,
    subject,
    field: extra.field ?? null,
    message,
    before: extra.before ?? null,
    after: extra.after ?? null,
    breaking: extra.breaking ?? null,
  };
}

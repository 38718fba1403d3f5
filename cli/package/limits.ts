/**
 * Workers plan limits the packager checks (https://developers.cloudflare.com/workers/platform/limits/):
 * the compressed (gzip) size of the Worker, and subrequests per invocation.
 */

export type Plan = "free" | "paid";

export const PLAN_LIMITS: Readonly<Record<Plan, { gzipBytes: number; subrequests: number }>> = Object.freeze({
  free: { gzipBytes: 3 * 1024 * 1024, subrequests: 50 },
  paid: { gzipBytes: 10 * 1024 * 1024, subrequests: 1000 },
});

// Sizes have one grammar (`--budget` as `maxBodySize`): flows/units/size.ts.
export { parseSize } from "../../flows/units/size.ts";

/** `1536` → `1.5 KiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 ** 2).toFixed(2)} MiB`;
}

/**
 * Workers plan limits the packager checks (https://developers.cloudflare.com/workers/platform/limits/):
 * the compressed (gzip) size of the Worker, and subrequests per invocation.
 */

export type Plan = "free" | "paid";

export const PLAN_LIMITS: Readonly<Record<Plan, { gzipBytes: number; subrequests: number }>> = Object.freeze({
  free: { gzipBytes: 3 * 1024 * 1024, subrequests: 50 },
  paid: { gzipBytes: 10 * 1024 * 1024, subrequests: 1000 },
});

const UNITS: Readonly<Record<string, number>> = {
  "": 1,
  b: 1,
  kb: 1024,
  kib: 1024,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
};

/**
 * Parses a size such as `150kb`, `3mb`, `3MiB` or `2048` (bytes); KB and MB are binary (1024). Undefined when
 * it is not a size.
 * @example parseSize("150kb") // 153600
 */
export function parseSize(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!match) return undefined;
  const unit = UNITS[(match[2] ?? "").toLowerCase()];
  return unit === undefined ? undefined : Math.round(Number(match[1]) * unit);
}

/** `1536` → `1.5 KiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 ** 2).toFixed(2)} MiB`;
}

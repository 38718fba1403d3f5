/** Median and spread of a series of samples (non-finite samples are kept in `samples` but not counted). */
export interface Spread {
  median: number;
  min: number;
  max: number;
  samples: number[];
}

/** The median, min and max of the finite samples. */
export function spread(samples: number[]): Spread {
  const finite = samples.filter(Number.isFinite).sort((a, b) => a - b);
  if (finite.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, samples };
  const mid = finite.length >> 1;
  const median = finite.length % 2 === 1 ? finite[mid]! : (finite[mid - 1]! + finite[mid]!) / 2;
  return { median, min: finite[0]!, max: finite.at(-1)!, samples };
}

export const fixed = (x: number, digits: number): string => (Number.isFinite(x) ? x.toFixed(digits) : "n/a");

/** `median (min–max)` with `digits` decimals. */
export const formatSpread = (s: Spread, digits: number): string =>
  `${fixed(s.median, digits)} (${fixed(s.min, digits)}–${fixed(s.max, digits)})`;

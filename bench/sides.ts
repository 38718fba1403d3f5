import { fixed, formatSpread, spread } from "./stats.ts";

/**
 * Sides of an A/B/A bench measured in one run: the first side is the baseline, the second the baseline again (A/A:
 * the noise of this run), the others what is compared. Every side once per round (after one warm-up of each), the
 * order rotated; each side's CPU divided by the baseline's of the same round.
 */

/** One side measured once: CPU µs per request, and requests/s when the load had a rate. */
export interface Sample {
  cpuUs: number;
  perSecond?: number;
}

export async function interleave<S>(
  sides: readonly S[],
  rounds: number,
  measure: (side: S, index: number, warmUp: boolean) => Promise<Sample>,
): Promise<{ samples: Sample[][]; ratios: number[][] }> {
  for (const [i, side] of sides.entries()) await measure(side, i, true);
  const samples = sides.map(() => [] as Sample[]);
  const ratios = sides.map(() => [] as number[]);
  for (let round = 0; round < rounds; round++) {
    const cpu: number[] = [];
    for (const i of sides.map((_, k) => (k + round) % sides.length)) {
      const sample = await measure(sides[i]!, i, false);
      samples[i]!.push(sample);
      cpu[i] = sample.cpuUs;
    }
    for (const i of sides.keys()) ratios[i]!.push(cpu[i]! / cpu[0]!);
  }
  return { samples, ratios };
}

/** The table of a run: each side's rate, CPU and ratio to the baseline, "within noise" when as close as A/A. */
export function printVerdicts(
  title: string,
  cpuLabel: string,
  sides: readonly { name: string }[],
  samples: Sample[][],
  ratios: number[][],
): void {
  const noise = Math.max(...ratios[1]!.map((r) => Math.abs(r - 1)));
  const withRate = samples[0]![0]!.perSecond !== undefined;
  console.log(`## ${title}\n`);
  console.log(
    `| side |${withRate ? " requests/s |" : ""} ${cpuLabel} | CPU ÷ baseline, per round | verdict |`,
  );
  console.log(`| --- |${withRate ? " --- |" : ""} --- | --- | --- |`);
  for (const [i, side] of sides.entries()) {
    const ratio = spread(ratios[i]!);
    const verdict =
      i === 0
        ? "baseline"
        : i === 1
          ? `noise: ±${fixed(noise, 3)}`
          : Math.abs(ratio.median - 1) <= noise
            ? "within noise"
            : "OUTSIDE noise";
    const rate = withRate ? ` ${formatSpread(spread(samples[i]!.map((s) => s.perSecond!)), 0)} |` : "";
    const cpu = formatSpread(spread(samples[i]!.map((s) => s.cpuUs)), withRate ? 0 : 1);
    console.log(`| ${side.name} |${rate} ${cpu} | ${i === 0 ? "1" : formatSpread(ratio, 3)} | ${verdict} |`);
  }
}

/** A Worker module's default export, called directly in this process. */
export interface DirectWorker {
  fetch(request: Request, env: object, ctx: object): Promise<Response>;
}

const DIRECT_CTX = {
  waitUntil: (promise: Promise<unknown>) => void promise.catch(() => {}),
  passThroughOnException() {},
};

/**
 * This process's CPU µs per request for `requests` POSTs of `{"n":1}` to `path`, one at a time, each answered 200
 * and read to the end.
 */
export async function directCpuPerRequest(
  worker: DirectWorker,
  path: string,
  env: object,
  requests: number,
): Promise<Sample> {
  const started = process.cpuUsage();
  for (let i = 0; i < requests; i++) {
    const request = new Request(`http://bench/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"n":1}',
    });
    const response = await worker.fetch(request, env, DIRECT_CTX);
    if (response.status !== 200) throw new Error(`${path}: status ${response.status}`);
    await response.arrayBuffer();
  }
  const used = process.cpuUsage(started);
  return { cpuUs: (used.user + used.system) / requests };
}

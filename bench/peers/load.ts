import { type ChildProcess, fork } from "node:child_process";
import { formatSpread, type Spread, spread } from "../stats.ts";
import { cpuMs } from "../workerd.ts";

/**
 * What the peer benchmarks (`bench/probot.ts`, `bench/node-red.ts`) share: one bounded load loop (a fixed
 * number of requests, a fixed number in flight, a hard time bound, every answer checked) and the child-process
 * servers the peers run in (Node, on 127.0.0.1, killed on every path).
 */

export interface LoadFigures {
  perSecond: number;
  /** Median of the per-request latencies of the run, ms. */
  latencyMs: number;
  /** Server process CPU (utime + stime) per request, ms. */
  cpuMsPerRequest: number;
}

export interface LoadOptions {
  requests: number;
  concurrency: number;
  /** The run fails when it has not finished within this bound. */
  boundMs: number;
  /** The server process whose CPU is counted. */
  pid: number;
  /** Sends request number `i` (its own signal: the caller's timeout). */
  send: (i: number) => Promise<Response>;
  /** Checks one answer (status and body text); a string is a problem. */
  check: (response: Response, text: string) => string | undefined;
}

/** `requests` requests, `concurrency` in flight, each answer read and checked; throws on any wrong answer. */
export async function load(options: LoadOptions): Promise<LoadFigures> {
  const deadline = performance.now() + options.boundMs;
  let next = 0;
  const problems: string[] = [];
  const latencies: number[] = [];
  const cpuBefore = cpuMs(options.pid);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < options.requests && performance.now() < deadline && problems.length === 0) {
        const i = next++;
        const t = performance.now();
        const response = await options.send(i);
        const text = await response.text();
        latencies.push(performance.now() - t);
        const problem = options.check(response, text);
        if (problem) problems.push(problem);
      }
    }),
  );
  const elapsed = performance.now() - started;
  const cpu = cpuMs(options.pid) - cpuBefore;
  if (problems.length > 0) throw new Error(`wrong answer: ${problems[0]}`);
  if (latencies.length < options.requests)
    throw new Error(`only ${latencies.length} of ${options.requests} requests within ${options.boundMs} ms`);
  return {
    perSecond: (latencies.length * 1_000) / elapsed,
    latencyMs: spread(latencies).median,
    cpuMsPerRequest: cpu / latencies.length,
  };
}

export interface NodeServer {
  child: ChildProcess;
  pid: number;
  /** `http://127.0.0.1:<port>/` */
  url: string;
  /** Kills the process (SIGKILL) and waits for it to be gone; safe to call twice. */
  stop: () => Promise<void>;
}

/**
 * Starts `script` (a `.ts` file run by this Node) as a child process with an IPC channel; it answers
 * `{ port }` once it listens on 127.0.0.1. Fails (and kills it) when that takes longer than `startMs`.
 */
export async function startNodeServer(
  script: string,
  env: Record<string, string> = {},
  startMs = 60_000,
): Promise<NodeServer> {
  const child = fork(script, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${script} did not start in ${startMs} ms`)), startMs);
      child.once("message", (message) => {
        clearTimeout(timer);
        const port = (message as { port?: number }).port;
        if (port) resolve(port);
        else reject(new Error(`${script} sent ${JSON.stringify(message)}`));
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${script} exited (${code ?? signal}) before listening`));
      });
      child.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    return { child, pid: child.pid!, url: `http://127.0.0.1:${port}/`, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Runs every target `reps` times, interleaved, the order rotated each repetition so that no target always runs
 * first or after the same neighbour (on this shared machine the run order alone moved the figures).
 */
export async function interleaved<T extends string>(
  targets: readonly T[],
  reps: number,
  run: (target: T) => Promise<LoadFigures>,
): Promise<Record<T, LoadFigures[]>> {
  const runs = Object.fromEntries(targets.map((t) => [t, [] as LoadFigures[]])) as Record<T, LoadFigures[]>;
  for (let r = 0; r < reps; r++)
    for (const t of [...targets.slice(r % targets.length), ...targets.slice(0, r % targets.length)])
      runs[t].push(await run(t));
  return runs;
}

/** Median and spread of each figure per target. */
export function figuresOf<T extends string>(
  targets: readonly T[],
  runs: Record<T, LoadFigures[]>,
): Record<"perSecond" | "latencyMs" | "cpuMsPerRequest", Record<T, Spread>> {
  const of = (key: keyof LoadFigures) =>
    Object.fromEntries(targets.map((t) => [t, spread(runs[t].map((x) => x[key]))])) as Record<T, Spread>;
  return { perSecond: of("perSecond"), latencyMs: of("latencyMs"), cpuMsPerRequest: of("cpuMsPerRequest") };
}

/** Prints the figures as a table: a header of target labels, then rate, latency and CPU rows. */
export function printFigures<T extends string>(
  print: (line: string) => void,
  targets: readonly T[],
  labels: Record<T, string>,
  figures: ReturnType<typeof figuresOf<T>>,
  unit: string,
  widths: { label: number; column: number },
): void {
  const row = (label: string, values: string[]): void =>
    print(label.padEnd(widths.label) + values.map((v) => v.padEnd(widths.column)).join(""));
  row(
    "",
    targets.map((t) => labels[t]),
  );
  row(
    `  ${unit}s/s`,
    targets.map((t) => formatSpread(figures.perSecond[t], 0)),
  );
  row(
    "  median latency, ms",
    targets.map((t) => formatSpread(figures.latencyMs[t], 2)),
  );
  row(
    `  server CPU per ${unit}, ms`,
    targets.map((t) => formatSpread(figures.cpuMsPerRequest[t], 3)),
  );
}

import { spawn } from "node:child_process";
import autocannon from "autocannon";
import { cpuMs, pinnedCommand } from "./workerd.ts";

/**
 * Load from a separate process: autocannon (an exact-pinned devDependency) in a child Node process pinned to its
 * own CPU, against one server on 127.0.0.1 for a fixed time. The child reads the server's CPU (utime + stime,
 * /proc/<pid>/stat) when the load starts and when it ends, checks every answer, and prints one JSON line.
 * Run as a script, this file is that child (its argument: the JSON of `LoadSpec`).
 */

export interface Expected {
  status: number;
  /** The body text must contain this. */
  includes?: string;
  /** The body must be this JSON value (compared as JSON text after parsing). */
  json?: unknown;
}

export interface LoadSpec {
  /** The full URL, on 127.0.0.1. */
  url: string;
  method: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  /** A header given a fresh random UUID on every request (e.g. `x-github-delivery`). */
  freshHeader?: string;
  connections: number;
  seconds: number;
  /** The server process whose CPU is counted. */
  serverPid: number;
  expect: Expected;
}

export interface LoadResult {
  /** Answers received and checked. */
  requests: number;
  perSecond: number;
  /** Median latency, ms (autocannon's p50). */
  latencyMs: number;
  /** Server CPU per answer, ms. */
  cpuMsPerRequest: number;
  /** Server CPU over the load, ms. */
  cpuMs: number;
  /** Whether the load process was pinned. */
  pinned: boolean;
}

interface ChildReport {
  total: number;
  answers: number;
  duration: number;
  latencyP50: number;
  errors: number;
  timeouts: number;
  wrong: number;
  firstWrong?: string;
  cpuMs: number;
}

/** Why an answer is wrong, or undefined. */
export function checkAnswer(expect: Expected, status: number, body: string): string | undefined {
  if (status !== expect.status) return `status ${status}: ${body.slice(0, 200)}`;
  if (expect.includes !== undefined && !body.includes(expect.includes))
    return `body without ${expect.includes}: ${body.slice(0, 200)}`;
  if (expect.json !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return `not JSON: ${body.slice(0, 200)}`;
    }
    if (JSON.stringify(parsed) !== JSON.stringify(expect.json))
      return `answered ${body.slice(0, 200)}, expected ${JSON.stringify(expect.json)}`;
  }
  return undefined;
}

async function child(spec: LoadSpec): Promise<ChildReport> {
  const url = new URL(spec.url);
  if (url.hostname !== "127.0.0.1") throw new Error(`load only goes to 127.0.0.1, not ${url.hostname}`);
  let answers = 0;
  let wrong = 0;
  let firstWrong: string | undefined;
  const fresh = spec.freshHeader;
  const cpuBefore = cpuMs(spec.serverPid);
  const result = await autocannon({
    url: url.origin,
    connections: spec.connections,
    duration: spec.seconds,
    timeout: 10,
    requests: [
      {
        method: spec.method,
        path: url.pathname + url.search,
        headers: spec.headers ?? {},
        ...(spec.body === undefined ? {} : { body: spec.body }),
        ...(fresh
          ? {
              setupRequest: (request) => ({
                ...request,
                headers: { ...request.headers, [fresh]: crypto.randomUUID() },
              }),
            }
          : {}),
        onResponse: (status, body) => {
          answers++;
          const problem = checkAnswer(spec.expect, status, body);
          if (problem !== undefined) {
            wrong++;
            firstWrong ??= problem;
          }
        },
      },
    ],
  });
  const cpu = cpuMs(spec.serverPid) - cpuBefore;
  return {
    total: result.requests.total,
    answers,
    duration: result.duration,
    latencyP50: result.latency.p50,
    errors: result.errors,
    timeouts: result.timeouts,
    wrong,
    ...(firstWrong === undefined ? {} : { firstWrong }),
    cpuMs: cpu,
  };
}

/**
 * Runs one load in a child process pinned to `cpus`; throws on any error, timeout or wrong answer, or when the
 * child does not finish within the load time plus 30 s (it is killed then).
 */
export async function loadFromProcess(spec: LoadSpec, cpus = "1"): Promise<LoadResult> {
  const [command, args] = pinnedCommand(cpus, process.execPath, [import.meta.filename, JSON.stringify(spec)]);
  const pinned = command === "taskset";
  const proc = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  proc.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  proc.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    if (stderr.length < 8_000) stderr += chunk;
  });
  const boundMs = spec.seconds * 1_000 + 30_000;
  const code = await new Promise<number | string>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`the load process did not finish within ${boundMs} ms`));
    }, boundMs);
    proc.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    proc.once("exit", (exitCode, signal) => {
      clearTimeout(timer);
      resolve(exitCode ?? signal ?? "unknown");
    });
  });
  if (code !== 0) throw new Error(`the load process exited (${code}): ${stderr.trim()}`);
  const report = JSON.parse(stdout.trim().split("\n").at(-1)!) as ChildReport;
  const problems = [
    report.errors > 0 ? `${report.errors} errors (${report.timeouts} timeouts)` : "",
    report.wrong > 0 ? `${report.wrong} wrong answers, the first: ${report.firstWrong}` : "",
    report.answers === 0 ? "no answer" : "",
  ].filter(Boolean);
  if (problems.length > 0) throw new Error(`${spec.method} ${spec.url}: ${problems.join("; ")}`);
  return {
    requests: report.answers,
    perSecond: report.answers / report.duration,
    latencyMs: report.latencyP50,
    cpuMsPerRequest: report.cpuMs / report.answers,
    cpuMs: report.cpuMs,
    pinned,
  };
}

if (import.meta.main) {
  const report = await child(JSON.parse(process.argv[2]!) as LoadSpec);
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

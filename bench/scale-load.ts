import { writeFileSync } from "node:fs";
import definitions from "@octokit/webhooks-examples" with { type: "json" };
import { sign } from "@octokit/webhooks-methods";
import { seededRandom } from "../test/random.ts";

/**
 * The load of the scale simulation (`bench/scale.ts`), run as a child process pinned to its own CPU: signed
 * `issues.opened` deliveries from `installations` installations drawn by a Zipf law (rank k with weight 1/k^s),
 * each installation on one webhook path (odd ranks `ack: sync`, even ranks `ack: queue`), open loop at the rate
 * of each phase (bursts are phases), at most `maxInFlight` at once (a delivery due while that many wait is not
 * sent and is counted as shed). A share of the requests re-sends an earlier accepted delivery (a GitHub
 * redelivery: same id, same body). Every answer is classified; the deliveries and answers go to `out` as JSON.
 * Run as a script, its argument is the JSON of `ScaleLoadSpec`; it refuses any host but 127.0.0.1.
 */

export interface ScaleLoadSpec {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  secret: string;
  installations: number;
  /** The Zipf exponent s. */
  zipf: number;
  /** The first installation id (rank 1); rank k is `firstInstallation + k - 1`. */
  firstInstallation: number;
  phases: { seconds: number; rate: number; name: string }[];
  /** Share of requests that re-send an earlier accepted delivery. */
  redeliverShare: number;
  maxInFlight: number;
  seed: number;
  /** Where the result (`ScaleLoadResult`) is written. */
  out: string;
}

/** How a delivery was answered. */
export type Answer = "accepted" | "duplicate" | "pending" | "error";

export interface ScaleLoadResult {
  startedAt: number;
  endedAt: number;
  /** Per phase: its start and end (epoch ms) and what was sent in it. */
  phases: { name: string; rate: number; startedAt: number; endedAt: number; sent: number; shed: number }[];
  /** Each request: delivery id, installation rank, path (`sync` / `queue`), redelivery?, answer, status, sent at. */
  requests: [
    id: string,
    rank: number,
    path: "sync" | "queue",
    redelivery: boolean,
    answer: Answer,
    status: number,
    /** When it was sent, epoch ms. */
    at: number,
  ][];
  firstError?: string;
}

/** The path of an installation by rank: odd ranks `ack: sync`, even ranks `ack: queue`. */
export const pathOfRank = (rank: number): "sync" | "queue" => (rank % 2 === 1 ? "sync" : "queue");

/** Cumulative Zipf weights of ranks 1..n, normalised to 1. */
export function zipfShares(n: number, s: number): number[] {
  const weights = Array.from({ length: n }, (_, k) => 1 / (k + 1) ** s);
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / total);
}

async function run(spec: ScaleLoadSpec): Promise<ScaleLoadResult> {
  const origin = new URL(spec.origin);
  if (origin.hostname !== "127.0.0.1") throw new Error(`load only goes to 127.0.0.1, not ${origin.hostname}`);
  const random = seededRandom(spec.seed);
  const shares = zipfShares(spec.installations, spec.zipf);
  const cumulative: number[] = [];
  shares.reduce((sum, share, k) => (cumulative[k] = sum + share), 0);
  const rankOf = (): number => {
    const x = random();
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
  const issues = (definitions as { name: string; examples: { action?: string }[] }[]).find(
    (d) => d.name === "issues",
  );
  const example = issues?.examples.find((e) => e.action === "opened") as Record<string, unknown> | undefined;
  if (!example) throw new Error("@octokit/webhooks-examples has no issues.opened example");
  // One body per installation (the delivery id is a header, so a body and its signature serve every delivery).
  const bodies = await Promise.all(
    Array.from({ length: spec.installations }, async (_, k) => {
      const text = JSON.stringify({
        ...example,
        installation: { id: spec.firstInstallation + k, node_id: "x" },
      });
      return { text, signature: await sign(spec.secret, text) };
    }),
  );
  const result: ScaleLoadResult = { startedAt: Date.now(), endedAt: 0, phases: [], requests: [] };
  const accepted: [string, number][] = [];
  let inFlight = 0;
  const pendingRequests = new Set<Promise<void>>();

  const send = (id: string, rank: number, redelivery: boolean): void => {
    const path = pathOfRank(rank);
    const body = bodies[rank - 1]!;
    inFlight++;
    const at = Date.now();
    const request = (async () => {
      let answer: Answer = "error";
      let status = 0;
      try {
        const response = await fetch(`${spec.origin}/scale/${path}`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-github-event": "issues",
            "x-github-delivery": id,
            "x-hub-signature-256": body.signature,
          },
          body: body.text,
        });
        status = response.status;
        const text = await response.text();
        const duplicate = response.headers.get("x-flows-duplicate") === "true";
        const expected = path === "sync" ? 200 : 202;
        if (status === 409 && text.includes("IDEMPOTENCY_PENDING")) answer = "pending";
        // A redelivery of a queued delivery is 202 while its message waits, 200 once the consumer completed it.
        else if ((status === expected || status === 200) && duplicate) answer = "duplicate";
        else if (status === expected && text.includes(`"deliveryId":"${id}"`)) answer = "accepted";
        else result.firstError ??= `${path} ${status}: ${text.slice(0, 200)}`;
      } catch (error) {
        result.firstError ??= `${path}: ${error instanceof Error ? error.message : String(error)}`;
      } finally {
        inFlight--;
      }
      if (answer === "accepted" && !redelivery) accepted.push([id, rank]);
      result.requests.push([id, rank, path, redelivery, answer, status, at]);
    })();
    pendingRequests.add(request);
    void request.finally(() => pendingRequests.delete(request));
  };

  for (const phase of spec.phases) {
    const startedAt = Date.now();
    const record = { name: phase.name, rate: phase.rate, startedAt, endedAt: 0, sent: 0, shed: 0 };
    let due = 0;
    for (let now = startedAt; now < startedAt + phase.seconds * 1000; now = Date.now()) {
      const target = Math.floor(((now - startedAt) / 1000) * phase.rate);
      for (; due < target; due++) {
        if (inFlight >= spec.maxInFlight) {
          record.shed++;
          continue;
        }
        record.sent++;
        if (accepted.length > 0 && random() < spec.redeliverShare) {
          // A redelivery of one of the last 500 accepted deliveries.
          const [id, rank] =
            accepted[accepted.length - 1 - Math.floor(random() * Math.min(500, accepted.length))]!;
          send(id, rank, true);
        } else send(crypto.randomUUID(), rankOf(), false);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    record.endedAt = Date.now();
    result.phases.push(record);
  }
  await Promise.race([Promise.all(pendingRequests), new Promise((resolve) => setTimeout(resolve, 20_000))]);
  result.endedAt = Date.now();
  return result;
}

if (import.meta.main) {
  const spec = JSON.parse(process.argv[2]!) as ScaleLoadSpec;
  const result = await run(spec);
  writeFileSync(spec.out, JSON.stringify(result));
  process.stdout.write(`${JSON.stringify({ requests: result.requests.length })}\n`);
}

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { NodeDecl } from "../../../flows/ir/types.ts";
import type { RunEvent } from "../../events.ts";
import { runFlow, startRun } from "../../executor.ts";
import { eventProblems, memoryLogger, node, planOf, probeKind, ref } from "../helpers.ts";

/** A random valid DAG: each node reads some earlier nodes, may wait for others (`after`), may have a `when`. */
interface DagNode {
  kind: "p.sync" | "p.async" | "merge";
  sources: number[];
  after: number[];
  when: boolean | null;
}

const dagArbitrary = (maxNodes: number): fc.Arbitrary<DagNode[]> =>
  fc.integer({ min: 1, max: maxNodes }).chain((n) =>
    fc.tuple(
      ...Array.from({ length: n }, (_, i) => {
        const earlier = Array.from({ length: i }, (_, j) => j);
        return fc.record({
          kind: fc.constantFrom("p.sync" as const, "p.async" as const, "merge" as const),
          sources: fc.subarray(earlier, { maxLength: Math.min(3, i) }),
          after: fc.subarray(earlier, { maxLength: Math.min(2, i) }),
          when: fc.option(fc.boolean(), { freq: 3 }),
        });
      }),
    ),
  );

function toFlow(dag: DagNode[]): NodeDecl[] {
  return dag.map((d, i) =>
    node(`n${i}`, d.kind, {
      inputs: Object.fromEntries(d.sources.map((s) => [`i${s}`, ref(`n${s}`)])),
      ...(d.after.length > 0 && { after: d.after.map((a) => `n${a}`) }),
      ...(d.when !== null && { when: String(d.when) }),
    }),
  );
}

/** Which nodes should run: `when` holds and every source ran (a merge: at least one). */
function expectedRuns(dag: DagNode[]): boolean[] {
  const ran: boolean[] = [];
  dag.forEach((d, i) => {
    const sourcesOk = d.kind === "merge" ? d.sources.some((s) => ran[s]) : d.sources.every((s) => ran[s]);
    ran[i] = sourcesOk && d.when !== false;
  });
  return ran;
}

const seqOf = (events: RunEvent[], type: RunEvent["type"], nodeId: string): number | undefined =>
  events.find((e) => e.type === type && "nodeId" in e && e.nodeId === nodeId)?.seq;

/** Property-based checks of scheduling and cancellation on random DAGs. */
export function propertiesSuite(): void {
  describe("properties of random DAGs", () => {
    it("runs each reachable node exactly once, after all its inputs, skips the others, with well-formed events", async () => {
      await fc.assert(
        fc.asyncProperty(dagArbitrary(14), async (dag) => {
          const sync = probeKind("p.sync");
          const slow = probeKind("p.async", { delayMs: 1 });
          const events: RunEvent[] = [];
          const result = await runFlow(planOf(toFlow(dag), [sync, slow]), { onEvent: (e) => events.push(e) });
          expect(result.status).toBe("ok");
          expect(eventProblems(events)).toEqual([]);
          const expected = expectedRuns(dag);
          const calls = [...sync.calls, ...slow.calls].map((c) => c.nodeId);
          dag.forEach((d, i) => {
            const id = `n${i}`;
            const start = seqOf(events, "node.start", id);
            expect(start !== undefined, `${id} started`).toBe(expected[i]);
            expect(events.filter((e) => e.type === "node.start" && e.nodeId === id).length).toBe(
              expected[i] ? 1 : 0,
            );
            if (d.kind !== "merge") expect(calls.filter((c) => c === id).length).toBe(expected[i] ? 1 : 0);
            if (!expected[i]) {
              expect(seqOf(events, "node.skipped", id), `${id} skipped`).toBeDefined();
              return;
            }
            for (const s of d.sources) {
              const ready = seqOf(events, "node.output", `n${s}`) ?? seqOf(events, "node.skipped", `n${s}`)!;
              expect(start!).toBeGreaterThan(ready);
            }
            for (const a of d.after) {
              const ended = seqOf(events, "node.end", `n${a}`) ?? seqOf(events, "node.skipped", `n${a}`)!;
              expect(start!).toBeGreaterThan(ended);
            }
          });
        }),
        { numRuns: 100 },
      );
    });

    it("after a cancel at any event, starts no node, leaves none running, and ends cancelled", async () => {
      await fc.assert(
        fc.asyncProperty(dagArbitrary(10), fc.integer({ min: 1, max: 40 }), async (dag, cancelAt) => {
          const sync = probeKind("p.sync");
          const slow = probeKind("p.async", { delayMs: 2 });
          const events: RunEvent[] = [];
          let cancelledAfter = Number.POSITIVE_INFINITY;
          const run = startRun(planOf(toFlow(dag), [sync, slow]), {
            logger: memoryLogger(),
            onEvent: (e) => {
              events.push(e);
              if (e.seq === cancelAt && e.type !== "run.end") {
                cancelledAfter = e.seq;
                run.cancel("random cancel point");
              }
            },
          });
          const result = await run.result;
          expect(slow.running).toBe(0);
          expect(eventProblems(events)).toEqual([]);
          expect(events.filter((e) => e.type === "node.start" && e.seq > cancelledAfter)).toEqual([]);
          expect(result.status).toBe(cancelledAfter === Number.POSITIVE_INFINITY ? "ok" : "cancelled");
        }),
        { numRuns: 80 },
      );
    });

    it("after a cancel at any moment, starts no node, leaves none running, and ends cancelled", async () => {
      await fc.assert(
        fc.asyncProperty(dagArbitrary(10), fc.integer({ min: 0, max: 12 }), async (dag, delayMs) => {
          const slow = probeKind("p.async", { delayMs: 2 });
          const sync = probeKind("p.sync");
          const events: RunEvent[] = [];
          const caller = new AbortController();
          const pending = runFlow(planOf(toFlow(dag), [sync, slow]), {
            signal: caller.signal,
            logger: memoryLogger(),
            onEvent: (e) => events.push(e),
          });
          let cancelledAfter = Number.POSITIVE_INFINITY;
          setTimeout(() => {
            if (events.at(-1)?.type !== "run.end") cancelledAfter = events.length;
            caller.abort();
          }, delayMs);
          const result = await pending;
          expect(slow.running).toBe(0);
          expect(eventProblems(events)).toEqual([]);
          expect(events.filter((e) => e.type === "node.start" && e.seq > cancelledAfter)).toEqual([]);
          if (cancelledAfter !== Number.POSITIVE_INFINITY) expect(result.status).toBe("cancelled");
          await new Promise((r) => setTimeout(r, Math.max(0, delayMs - 0)));
        }),
        { numRuns: 40 },
      );
    });
  });
}

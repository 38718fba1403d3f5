import { describe, expect, it } from "vitest";
import { BUILTIN_KINDS, createPlan, createRegistry, runFlow } from "../../kernel/index.ts";
import { bytes, failKind, prefix, readAll, runKind, sameBytes } from "../testing.ts";
import { KV_KINDS } from "./kinds.ts";

/**
 * The KV conformance suite: every `kv.*` kind against one implementation of a KV namespace, bound as `FLOW_KV`.
 * Run it against each implementation (the real local workerd binding in `kv.workers.test.ts`).
 */
export function kvConformance(name: string, makeEnv: () => Record<string, unknown>): void {
  describe(`KV capability (${name})`, () => {
    const env = () => makeEnv();
    const config = { binding: "FLOW_KV" };
    const run = (
      kind: string,
      inputs: Record<string, unknown>,
      extra: Record<string, string | number> = {},
    ) => runKind(KV_KINDS, kind, { env: env(), inputs, config: { ...config, ...extra } });

    it("reads a missing key as out null and metadata null", async () => {
      const key = `${prefix("kv-missing")}nothing`;
      expect(await run("kv.get", { key })).toEqual({ out: null, metadata: null });
    });

    it("writes a text value with metadata and reads both back", async () => {
      const key = `${prefix("kv-text")}greeting`;
      expect(await run("kv.put", { key, value: "hello", metadata: { by: "test" } })).toEqual({ out: key });
      expect(await run("kv.get", { key })).toEqual({ out: "hello", metadata: { by: "test" } });
    });

    it("stores an object as JSON and reads it back with type json", async () => {
      const key = `${prefix("kv-json")}doc`;
      await run("kv.put", { key, value: { a: [1, 2], b: "x" } });
      expect((await run("kv.get", { key }, { type: "json" })).out).toEqual({ a: [1, 2], b: "x" });
      expect((await run("kv.get", { key })).out).toBe('{"a":[1,2],"b":"x"}');
    });

    it("fails for good (KV_FAILED, not retriable) reading a value that is not JSON as json", async () => {
      const key = `${prefix("kv-notjson")}k`;
      await run("kv.put", { key, value: "not json" });
      const error = await failKind(KV_KINDS, "kv.get", {
        env: env(),
        config: { ...config, type: "json" },
        inputs: { key },
      });
      expect(error.code).toBe("KV_FAILED");
      expect(error.retriable).toBe(false);
      expect(error.expose).toBe(false);
    });

    it("round-trips binary data byte-exact as arrayBuffer and as a stream", async () => {
      const key = `${prefix("kv-bin")}blob`;
      const data = bytes(4096, 7);
      await run("kv.put", { key, value: data });
      const got = (await run("kv.get", { key }, { type: "arrayBuffer" })).out as Uint8Array;
      expect(got).toBeInstanceOf(Uint8Array);
      expect(sameBytes(got, data)).toBe(true);
      const streamed = (await run("kv.get", { key }, { type: "stream" })).out as ReadableStream<Uint8Array>;
      expect(sameBytes(await readAll(streamed), data)).toBe(true);
    });

    it("round-trips a 1 MiB value", async () => {
      const key = `${prefix("kv-large")}big`;
      const data = bytes(1024 * 1024, 3);
      await run("kv.put", { key, value: data });
      const got = (await run("kv.get", { key }, { type: "arrayBuffer" })).out as Uint8Array;
      expect(sameBytes(got, data)).toBe(true);
    });

    it("refuses a value over 25 MiB before calling KV, with the limit and the size", async () => {
      const key = `${prefix("kv-toolarge")}big`;
      const error = await failKind(KV_KINDS, "kv.put", {
        env: env(),
        config,
        inputs: { key, value: new Uint8Array(25 * 1024 * 1024 + 1) },
      });
      expect(error.code).toBe("NODE_INPUT_INVALID");
      expect(error.message).toBe(
        "node `n`: input `value` is 26214401 bytes; KV's limit is 26214400 (25 MiB)",
      );
      expect((await run("kv.get", { key })).out).toBeNull();
    });

    it("refuses a key over 512 bytes and metadata over 1024 bytes", async () => {
      const long = await failKind(KV_KINDS, "kv.get", {
        env: env(),
        config,
        inputs: { key: "k".repeat(513) },
      });
      expect(long.code).toBe("NODE_INPUT_INVALID");
      expect(long.message).toBe("node `n`: input `key` is 513 bytes; the limit is 512");
      const meta = await failKind(KV_KINDS, "kv.put", {
        env: env(),
        config,
        inputs: { key: "k", value: "v", metadata: { big: "x".repeat(1100) } },
      });
      expect(meta.message).toContain("KV's limit is 1024");
    });

    it("deletes a key, and deleting a missing key is not an error", async () => {
      const key = `${prefix("kv-del")}gone`;
      await run("kv.put", { key, value: "v" });
      expect(await run("kv.delete", { key })).toEqual({ out: key });
      expect((await run("kv.get", { key })).out).toBeNull();
      expect(await run("kv.delete", { key })).toEqual({ out: key });
    });

    it("lists an empty prefix as no keys, no cursor, complete", async () => {
      expect(await run("kv.list", { prefix: prefix("kv-empty") })).toEqual({
        out: [],
        cursor: null,
        complete: true,
      });
    });

    it("pages through keys in order with limit and cursor, with their metadata", async () => {
      const p = prefix("kv-pages");
      for (const k of ["a", "b", "c", "d", "e"])
        await run("kv.put", { key: p + k, value: k, metadata: { k } });
      const names: string[] = [];
      let cursor: unknown = null;
      let pages = 0;
      do {
        const page = await run("kv.list", { prefix: p, limit: 2, cursor });
        pages++;
        for (const entry of page.out as { name: string; metadata: { k: string } }[]) {
          names.push(entry.name);
          expect(entry.metadata).toEqual({ k: entry.name.slice(p.length) });
        }
        cursor = page.cursor;
        expect(page.complete).toBe(cursor === null);
      } while (cursor !== null);
      expect(names).toEqual(["a", "b", "c", "d", "e"].map((k) => p + k));
      expect(pages).toBe(3);
    });

    it("refuses an expirationTtl under 60 seconds", async () => {
      const error = await failKind(KV_KINDS, "kv.put", {
        env: env(),
        config,
        inputs: { key: "k", value: "v", expirationTtl: 5 },
      });
      expect(error.code).toBe("NODE_INPUT_INVALID");
      expect(error.message).toContain("from 60");
    });

    it("explains a missing binding: BINDING_MISSING, not retriable, with the wrangler.toml fix", async () => {
      for (const kind of ["kv.get", "kv.put", "kv.delete", "kv.list"]) {
        const error = await failKind(KV_KINDS, kind, { env: {}, config, inputs: { key: "k", value: "v" } });
        expect(error.code).toBe("BINDING_MISSING");
        expect(error.retriable).toBe(false);
        expect(error.message).toBe(
          'binding `FLOW_KV` is missing from env: add a kv_namespaces entry with binding = "FLOW_KV" to wrangler.toml',
        );
      }
      const wrong = await failKind(KV_KINDS, "kv.get", {
        env: { FLOW_KV: "text" },
        config,
        inputs: { key: "k" },
      });
      expect(wrong.code).toBe("BINDING_MISSING");
      expect(wrong.message).toBe(
        'binding `FLOW_KV` in env is not a KV namespace: declare it as a kv_namespaces entry with binding = "FLOW_KV" in wrangler.toml',
      );
    });

    it("does not call KV once the node's signal has aborted", async () => {
      const key = `${prefix("kv-abort")}k`;
      const controller = new AbortController();
      controller.abort(new Error("node timed out"));
      await expect(
        runKind(KV_KINDS, "kv.put", {
          env: env(),
          config,
          inputs: { key, value: "v" },
          signal: controller.signal,
        }),
      ).rejects.toThrow("node timed out");
      expect((await run("kv.get", { key })).out).toBeNull();
    });

    it("runs in a flow that names no binding: the plan uses the flow's only kv binding", async () => {
      const key = `${prefix("kv-flow")}k`;
      const plan = createPlan(
        {
          flows: 1,
          id: "kv-flow",
          version: "1.0.0",
          bindings: { FLOW_KV: { type: "kv" } },
          triggers: [],
          nodes: [
            { id: "put", kind: "kv.put", inputs: { key, value: "${{ trigger.body }}" } },
            { id: "get", kind: "kv.get", inputs: { key: "${{ nodes.put.out }}" } },
          ],
          output: "get",
        },
        { registry: createRegistry(BUILTIN_KINDS, KV_KINDS) },
      );
      const result = await runFlow(plan, { env: env(), trigger: { body: "from a flow" } });
      expect(result.error).toBeUndefined();
      expect(result.output).toBe("from a flow");
    });
  });
}

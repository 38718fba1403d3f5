import { describe, expect, it } from "vitest";
import { ChunkStream, withByteLength } from "../../kernel/index.ts";
import { bytes, failKind, prefix, readAll, runKind, sameBytes } from "../testing.ts";
import { R2_KINDS } from "./kinds.ts";
import type { ObjectInfo } from "./shape.ts";

const MiB = 1024 * 1024;

/** A stream of `data` in `chunk`-byte pieces, produced on demand (its length is unknown to R2). */
function chunked(data: Uint8Array, chunk = 64 * 1024): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= data.byteLength) return controller.close();
      controller.enqueue(data.slice(offset, offset + chunk));
      offset += chunk;
    },
  });
}

/**
 * The R2 conformance suite: every `r2.*` kind against one implementation of an R2 bucket, bound as
 * `FLOW_BUCKET`. Run it against each implementation (the real local workerd binding in `r2.workers.test.ts`).
 */
export function r2Conformance(name: string, makeEnv: () => Record<string, unknown>): void {
  describe(`R2 capability (${name})`, () => {
    const config = { binding: "FLOW_BUCKET" };
    const call = (inputs: Record<string, unknown>, extra: Record<string, string> = {}) => ({
      env: makeEnv(),
      inputs,
      config: { ...config, ...extra },
    });
    const run = (kind: string, inputs: Record<string, unknown>, extra: Record<string, string> = {}) =>
      runKind(R2_KINDS, kind, call(inputs, extra));

    it("reads a missing object as status missing, and heads it as null", async () => {
      const key = `${prefix("r2-missing")}none`;
      expect(await run("r2.get", { key })).toEqual({ out: null, object: null, status: "missing" });
      expect(await run("r2.head", { key })).toEqual({ out: null });
    });

    it("writes text with its content type and custom metadata; get and head return them", async () => {
      const key = `${prefix("r2-text")}a.txt`;
      const put = await run("r2.put", {
        key,
        body: "hello",
        contentType: "text/plain",
        customMetadata: { by: "t" },
      });
      expect(put.status).toBe("ok");
      const info = put.out as ObjectInfo;
      expect(info).toMatchObject({
        key,
        size: 5,
        httpMetadata: { contentType: "text/plain" },
        customMetadata: { by: "t" },
      });
      expect(typeof info.etag).toBe("string");
      expect(Number.isNaN(Date.parse(info.uploaded))).toBe(false);
      const got = await run("r2.get", { key }, { type: "text" });
      expect(got).toMatchObject({ out: "hello", status: "ok", object: { key, etag: info.etag } });
      expect((await run("r2.head", { key })).out).toMatchObject({ key, size: 5, etag: info.etag });
    });

    it("stores an object as JSON (application/json) and reads it back with type json", async () => {
      const key = `${prefix("r2-json")}doc.json`;
      const put = await run("r2.put", { key, body: { list: [1, 2] } });
      expect((put.out as ObjectInfo).httpMetadata.contentType).toBe("application/json");
      expect((await run("r2.get", { key }, { type: "json" })).out).toEqual({ list: [1, 2] });
    });

    it("round-trips binary data byte-exact as a stream (the default) and as bytes", async () => {
      const key = `${prefix("r2-bin")}blob`;
      const data = bytes(300_000, 11);
      await run("r2.put", { key, body: data });
      const got = await run("r2.get", { key });
      expect(got.out).toBeInstanceOf(ReadableStream);
      expect(sameBytes(await readAll(got.out as ReadableStream<Uint8Array>), data)).toBe(true);
      const asBytes = (await run("r2.get", { key }, { type: "arrayBuffer" })).out as Uint8Array;
      expect(sameBytes(asBytes, data)).toBe(true);
    });

    it("reads ranges: offset and length, and a suffix", async () => {
      const key = `${prefix("r2-range")}blob`;
      const data = bytes(10_000, 5);
      await run("r2.put", { key, body: data });
      const middle = await run(
        "r2.get",
        { key, range: { offset: 100, length: 50 } },
        { type: "arrayBuffer" },
      );
      expect(sameBytes(middle.out as Uint8Array, data.slice(100, 150))).toBe(true);
      expect((middle.object as ObjectInfo).range).toEqual({ offset: 100, length: 50 });
      const tail = await run("r2.get", { key, range: { suffix: 10 } }, { type: "arrayBuffer" });
      expect(sameBytes(tail.out as Uint8Array, data.slice(-10))).toBe(true);
      const bad = await failKind(R2_KINDS, "r2.get", call({ key, range: { offset: -1 } }));
      expect(bad.code).toBe("NODE_INPUT_INVALID");
    });

    it("gets conditionally on the etag: a failed condition is a value, not an error", async () => {
      const key = `${prefix("r2-cond")}obj`;
      const etag = ((await run("r2.put", { key, body: "v1" })).out as ObjectInfo).etag;
      const match = await run("r2.get", { key, onlyIf: { etagMatches: etag } }, { type: "text" });
      expect(match).toMatchObject({ out: "v1", status: "ok" });
      const stale = await run("r2.get", { key, onlyIf: { etagMatches: "not-the-etag" } });
      expect(stale).toMatchObject({ out: null, status: "precondition_failed", object: { key, etag } });
      const cached = await run("r2.get", { key, onlyIf: { etagDoesNotMatch: etag } });
      expect(cached).toMatchObject({ out: null, status: "precondition_failed" });
    });

    it("puts conditionally: a failed condition leaves the object and says precondition_failed", async () => {
      const key = `${prefix("r2-cput")}obj`;
      await run("r2.put", { key, body: "v1" });
      const refused = await run("r2.put", { key, body: "v2", onlyIf: { etagMatches: "nope" } });
      expect(refused).toEqual({ out: null, status: "precondition_failed" });
      expect((await run("r2.get", { key }, { type: "text" })).out).toBe("v1");
    });

    it("deletes one key or a list of keys; missing keys are not an error", async () => {
      const p = prefix("r2-del");
      await run("r2.put", { key: `${p}a`, body: "a" });
      await run("r2.put", { key: `${p}b`, body: "b" });
      expect(await run("r2.delete", { key: `${p}a` })).toEqual({ out: [`${p}a`] });
      expect(await run("r2.delete", { key: [`${p}b`, `${p}zz`] })).toEqual({ out: [`${p}b`, `${p}zz`] });
      expect((await run("r2.list", { prefix: p })).out).toEqual([]);
      const bad = await failKind(R2_KINDS, "r2.delete", call({ key: [] }));
      expect(bad.message).toBe(
        "node `n`: input `key` must be a key or a list of 1 to 1000 keys, got a list of 0",
      );
    });

    it("lists an empty prefix as nothing, complete", async () => {
      expect(await run("r2.list", { prefix: prefix("r2-empty") })).toEqual({
        out: [],
        prefixes: [],
        cursor: null,
        complete: true,
      });
    });

    it("lists with a delimiter: objects at this level and the folders below", async () => {
      const p = prefix("r2-tree");
      for (const k of ["a/1", "a/2", "b/1", "c"]) await run("r2.put", { key: p + k, body: k });
      const page = await run("r2.list", { prefix: p, delimiter: "/" });
      expect((page.out as ObjectInfo[]).map((o) => o.key)).toEqual([`${p}c`]);
      expect(page.prefixes).toEqual([`${p}a/`, `${p}b/`]);
    });

    it("pages with limit and cursor, with custom metadata when config.include asks", async () => {
      const p = prefix("r2-pages");
      for (const k of ["1", "2", "3", "4", "5"])
        await run("r2.put", { key: p + k, body: k, customMetadata: { k } });
      const keys: string[] = [];
      let cursor: unknown = null;
      do {
        const page = await runKind(R2_KINDS, "r2.list", {
          env: makeEnv(),
          inputs: { prefix: p, limit: 2, cursor },
          config: { ...config, include: ["customMetadata"] },
        });
        for (const o of page.out as ObjectInfo[]) {
          keys.push(o.key);
          expect(o.customMetadata).toEqual({ k: o.key.slice(p.length) });
        }
        cursor = page.cursor;
        expect(page.complete).toBe(cursor === null);
      } while (cursor !== null);
      expect(keys).toEqual(["1", "2", "3", "4", "5"].map((k) => p + k));
    });

    it("uploads a 20 MiB object in four 5 MiB parts and reads it back byte-exact", async () => {
      const key = `${prefix("r2-multi")}big`;
      const data = bytes(20 * MiB, 21);
      const created = await run("r2.multipart.create", { key, contentType: "application/x-test" });
      const uploadId = created.out as string;
      expect(created.key).toBe(key);
      const parts: unknown[] = [];
      for (let i = 0; i < 4; i++) {
        const body = data.subarray(i * 5 * MiB, (i + 1) * 5 * MiB);
        // Part 2 is sent as a stream with its size (a FixedLengthStream), the others as bytes.
        const input = i === 1 ? { body: chunked(body), size: body.byteLength } : { body: body.slice() };
        const part = await run("r2.multipart.uploadPart", { key, uploadId, partNumber: i + 1, ...input });
        expect(part.out).toMatchObject({ partNumber: i + 1 });
        parts.push(part.out);
      }
      const done = await run("r2.multipart.complete", { key, uploadId, parts });
      expect(done.out).toMatchObject({
        key,
        size: 20 * MiB,
        httpMetadata: { contentType: "application/x-test" },
      });
      const got = await run("r2.get", { key }, { type: "arrayBuffer" });
      expect(sameBytes(got.out as Uint8Array, data)).toBe(true);
    });

    it("aborts a multipart upload: completing it afterwards fails for good with R2_FAILED", async () => {
      const key = `${prefix("r2-abort")}big`;
      const uploadId = (await run("r2.multipart.create", { key })).out as string;
      await run("r2.multipart.uploadPart", { key, uploadId, partNumber: 1, body: "tiny" });
      expect(await run("r2.multipart.abort", { key, uploadId })).toEqual({ out: true });
      const error = await failKind(
        R2_KINDS,
        "r2.multipart.complete",
        call({ key, uploadId, parts: [{ partNumber: 1, etag: "x" }] }),
      );
      expect(error.code).toBe("R2_FAILED");
      expect(error.retriable).toBe(false);
      expect((await run("r2.head", { key })).out).toBeNull();
    });

    it("puts a stream of known size in one request (FixedLengthStream)", async () => {
      const key = `${prefix("r2-sized")}blob`;
      const data = bytes(3 * MiB, 4);
      const put = await run("r2.put", { key, body: chunked(data), size: String(data.byteLength) });
      expect((put.out as ObjectInfo).size).toBe(data.byteLength);
      expect(sameBytes((await run("r2.get", { key }, { type: "arrayBuffer" })).out as Uint8Array, data)).toBe(
        true,
      );
    });

    it("puts a stream that came with its length in one request, and refuses a size that contradicts it", async () => {
      const key = `${prefix("r2-known")}blob`;
      const data = bytes(3 * MiB, 6);
      // What a request body with a content-length reaches a node as: a FixedLengthStream, marked with its length.
      const known = (): ReadableStream<Uint8Array> => {
        const fixed = new FixedLengthStream(data.byteLength);
        void chunked(data).pipeTo(fixed.writable);
        return withByteLength(fixed.readable, data.byteLength);
      };
      const put = await run("r2.put", { key, body: known() });
      expect((put.out as ObjectInfo).size).toBe(data.byteLength);
      // One put, not parts: a multipart object's etag is named after its parts.
      expect((put.out as ObjectInfo).etag).toMatch(/^[0-9a-f]{32}$/);
      expect(sameBytes((await run("r2.get", { key }, { type: "arrayBuffer" })).out as Uint8Array, data)).toBe(
        true,
      );
      const error = await failKind(R2_KINDS, "r2.put", call({ key: `${key}-2`, body: known(), size: "10" }));
      expect(error.message).toBe(
        `node \`n\`: input \`size\` is 10 bytes, but the body came with a length of ${data.byteLength}`,
      );
    });

    it("puts a stream of unknown size as a multipart upload, byte-exact (12 MiB: parts of 5, 5, 2)", async () => {
      const key = `${prefix("r2-unsized")}blob`;
      const data = bytes(12 * MiB, 8);
      const put = await run("r2.put", {
        key,
        body: chunked(data, 100_000),
        contentType: "application/x-big",
      });
      expect(put.out).toMatchObject({
        size: data.byteLength,
        httpMetadata: { contentType: "application/x-big" },
      });
      expect(sameBytes((await run("r2.get", { key }, { type: "arrayBuffer" })).out as Uint8Array, data)).toBe(
        true,
      );
    });

    it("puts a short stream of unknown size as one plain put", async () => {
      const key = `${prefix("r2-short")}blob`;
      const data = bytes(1000, 2);
      await run("r2.put", { key, body: chunked(data, 300) });
      expect(sameBytes((await run("r2.get", { key }, { type: "arrayBuffer" })).out as Uint8Array, data)).toBe(
        true,
      );
    });

    it("puts another node's stream (a ChunkStream of bytes and text) as its bytes", async () => {
      const key = `${prefix("r2-chunks")}blob`;
      const chunks = new ChunkStream<unknown>();
      chunks.push(new Uint8Array([104, 105]));
      chunks.push(" there");
      chunks.close();
      await run("r2.put", { key, body: chunks });
      expect((await run("r2.get", { key }, { type: "text" })).out).toBe("hi there");
    });

    it("explains a missing binding: BINDING_MISSING with the r2_buckets fix", async () => {
      for (const kind of Object.keys(R2_KINDS)) {
        const error = await failKind(R2_KINDS, kind, { env: {}, config, inputs: { key: "k" } });
        expect(error.code).toBe("BINDING_MISSING");
        expect(error.message).toBe(
          'binding `FLOW_BUCKET` is missing from env: add a r2_buckets entry with binding = "FLOW_BUCKET" to wrangler.toml',
        );
      }
    });
  });
}

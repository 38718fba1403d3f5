import { describe, expect, it } from "vitest";
import { httpTriggerEvent, splitUrl } from "./http-trigger.ts";

const request = () =>
  new Request("http://127.0.0.1/items/7?tag=a&tag=b&q=x", {
    method: "POST",
    headers: { "content-type": "application/json", "X-Trace": "t1" },
  });

describe("httpTriggerEvent", () => {
  it("is the plain object a flow expects, whatever field is read first", () => {
    const event = httpTriggerEvent(request(), "post-items", { id: "7" }, { type: "json", value: { n: 1 } });
    expect(Object.getPrototypeOf(event)).toBe(Object.prototype);
    expect(event).toEqual({
      type: "http",
      id: "post-items",
      method: "POST",
      path: "/items/7",
      params: { id: "7" },
      query: { tag: "b", q: "x" },
      queryAll: { tag: ["a", "b"], q: ["x"] },
      headers: { "content-type": "application/json", "x-trace": "t1" },
      body: { n: 1 },
      bodyType: "json",
    });
  });

  it("serialises with every field and keeps one value per field once read", () => {
    const event = httpTriggerEvent(request(), "t", {}, { type: "empty", value: null });
    const json = JSON.parse(JSON.stringify(event)) as Record<string, unknown>;
    expect(Object.keys(json).sort()).toEqual(
      ["body", "bodyType", "headers", "id", "method", "params", "path", "query", "queryAll", "type"].sort(),
    );
    expect(event.headers).toBe(event.headers);
    expect(Object.getOwnPropertyDescriptor(event, "headers")).toMatchObject({ enumerable: true });
    expect({ ...event }.headers).toBe(event.headers);
    expect(structuredClone(event).query).toEqual({ tag: "b", q: "x" });
  });

  it("takes a value assigned before the field was read", () => {
    const event = httpTriggerEvent(request(), "t", {}, { type: "empty", value: null });
    event.headers = { only: "this" };
    expect(event.headers).toEqual({ only: "this" });
    expect(
      httpTriggerEvent(new Request("http://h/p"), "t", {}, { type: "empty", value: null }).query,
    ).toEqual({});
  });
});

describe("splitUrl", () => {
  it("cuts the path as URL.pathname has it, and tells whether there is a query", () => {
    for (const url of [
      "http://127.0.0.1/items/7?tag=a",
      "http://h",
      "http://h/",
      "http://h?x=1",
      "http://h/a%20b/c?",
      "https://h:8787/a/b#frag",
      "http://h/a?b=1#c",
      "http://h/a#b?c",
      "http://h/a?#c",
      "http://h#x/y?z",
      "http://h/a/",
      "http://user@h/p/q?x",
    ]) {
      const parsed = new URL(url);
      expect(splitUrl(url), url).toEqual({ path: parsed.pathname, search: parsed.search !== "" });
    }
  });
});

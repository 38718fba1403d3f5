import { describe, expect, it } from "vitest";
import { formatSseComment, formatSseEvent } from "./format.ts";

/** Parses the wire format the way a browser's EventSource does (enough for these tests). */
function parse(wire: string): { event?: string; id?: string; data: string }[] {
  return wire
    .split("\n\n")
    .filter((block) => block.length > 0)
    .map((block) => {
      const event: { event?: string; id?: string; data: string } = { data: "" };
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue;
        const [field, ...rest] = line.split(": ");
        const value = rest.join(": ");
        if (field === "data") data.push(value);
        else if (field === "event") event.event = value;
        else if (field === "id") event.id = value;
      }
      event.data = data.join("\n");
      return event;
    })
    .filter((e) => e.data !== "" || e.event !== undefined);
}

describe("formatSseEvent", () => {
  it("writes event, id and data fields ending with a blank line", () => {
    expect(formatSseEvent({ event: "node.end", id: "3", data: "{}" })).toBe(
      "event: node.end\nid: 3\ndata: {}\n\n",
    );
  });

  it("splits multi-line data so that the client reassembles it exactly", () => {
    const data = "line one\nline two\r\nline three\rend";
    expect(parse(formatSseEvent({ data }))).toEqual([{ data: "line one\nline two\nline three\nend" }]);
  });

  it("rejects CR or LF in the event name and in the id", () => {
    expect(() => formatSseEvent({ event: "a\ndata: injected", data: "" })).toThrow(
      /event must not contain CR or LF/,
    );
    expect(() => formatSseEvent({ id: "1\r2", data: "" })).toThrow(/id must not contain CR or LF/);
    expect(() => formatSseEvent({ id: "1\u00002", data: "" })).toThrow(/NUL/);
  });

  it("writes a retry hint only as a whole number", () => {
    expect(formatSseEvent({ retry: 1500, data: "x" })).toBe("retry: 1500\ndata: x\n\n");
    expect(() => formatSseEvent({ retry: 1.5, data: "x" })).toThrow(/whole number/);
  });
});

describe("formatSseComment", () => {
  it("writes comment lines that clients ignore", () => {
    expect(formatSseComment("ping")).toBe(": ping\n\n");
    expect(parse(formatSseComment("a\nb"))).toEqual([]);
  });
});

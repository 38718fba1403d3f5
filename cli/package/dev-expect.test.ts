import { describe, expect, it } from "vitest";
import { ExpectGate } from "./dev-expect.ts";

/** A gate whose outputs are recorded as text. */
function gate() {
  const up: string[] = [];
  const client: string[] = [];
  const flow: string[] = [];
  const g = new ExpectGate({
    toUpstream: (b) => up.push(b.toString("latin1")),
    toClient: (b) => client.push(b.toString("latin1")),
    pauseClient: () => flow.push("pause"),
    resumeClient: () => flow.push("resume"),
  });
  return {
    fromClient: (text: string) => g.fromClient(Buffer.from(text, "latin1")),
    fromUpstream: (text: string) => g.fromUpstream(Buffer.from(text, "latin1")),
    up: () => up.join(""),
    client: () => client.join(""),
    flow,
  };
}

const HEAD = "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n";
const GATED = "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n";

describe("the dev front's Expect gate", () => {
  it("holds a body back until workerd answers 100 Continue, and does not pass that answer on", () => {
    const g = gate();
    g.fromClient(`${HEAD}hel`);
    expect(g.up()).toBe(GATED);
    g.fromClient("lo");
    g.fromUpstream("HTTP/1.1 100 Continue\r\n\r\n");
    expect(g.up()).toBe(`${GATED}hello`);
    expect(g.client()).toBe("");
    g.fromUpstream("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    expect(g.client()).toBe("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  });

  it("drops the held body when workerd answers with a final status instead (a 413 from Content-Length)", () => {
    const g = gate();
    g.fromClient("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 200000\r\n\r\n");
    g.fromClient("a".repeat(100_000));
    expect(g.flow).toEqual(["pause"]);
    g.fromUpstream("HTTP/1.1 413 Payload Too Large\r\nContent-Length: 2\r\n\r\n{}");
    g.fromClient("a".repeat(100_000));
    expect(g.up()).toBe(
      "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 200000\r\nExpect: 100-continue\r\n\r\n",
    );
    expect(g.client()).toBe("HTTP/1.1 413 Payload Too Large\r\nContent-Length: 2\r\n\r\n{}");
    expect(g.flow).toEqual(["pause", "resume"]);
  });

  it("stops sending a body once a final answer starts while it is still going up", () => {
    const g = gate();
    g.fromClient(`${HEAD}h`);
    g.fromUpstream("HTTP/1.1 100 Continue\r\n\r\n");
    g.fromUpstream("HTTP/1.1 413 Payload Too Large\r\n\r\n");
    g.fromClient("ello");
    expect(g.up()).toBe(`${GATED}h`);
    expect(g.client()).toBe("HTTP/1.1 413 Payload Too Large\r\n\r\n");
  });

  it("follows Content-Length and chunked bodies to find the next request on a kept-alive connection", () => {
    const g = gate();
    g.fromClient("GET /a HTTP/1.1\r\nHost: a\r\n\r\n");
    g.fromUpstream("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    g.fromClient("POST /b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
    g.fromUpstream("HTTP/1.1 100 Continue\r\n\r\n");
    g.fromClient("3;x=y\r\nabc\r\n0\r\nTrailer: t\r\n\r\nGET /c HTTP/1.1\r\nHost: a\r\n\r\n");
    expect(g.up()).toBe(
      "GET /a HTTP/1.1\r\nHost: a\r\n\r\n" +
        "POST /b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n" +
        "3;x=y\r\nabc\r\n0\r\nTrailer: t\r\n\r\n" +
        "GET /c HTTP/1.1\r\nHost: a\r\n\r\n",
    );
  });

  it("leaves a request that asks for 100 Continue itself, and broken chunked framing, to workerd", () => {
    const own = gate();
    own.fromClient(`${GATED}`);
    own.fromUpstream("HTTP/1.1 100 Continue\r\n\r\n");
    own.fromClient("hello");
    expect(own.up()).toBe(`${GATED}hello`);
    expect(own.client()).toBe("HTTP/1.1 100 Continue\r\n\r\n");

    const broken = gate();
    broken.fromClient("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
    broken.fromUpstream("HTTP/1.1 100 Continue\r\n\r\n");
    broken.fromClient('5\r\n{"a":\r\nzz\r\nanything');
    expect(broken.up()).toBe(
      'POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n5\r\n{"a":\r\nzz\r\nanything',
    );
  });
});

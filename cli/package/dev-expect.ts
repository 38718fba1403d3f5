/**
 * The part of `flows dev`'s front that reads HTTP/1.1: it holds back each request body until workerd asks for it.
 *
 * A Worker that refuses a request from its head (a `Content-Length` over `maxBodySize`: 413) answers without
 * reading the body, and workerd then closes the connection with the unread body in its socket: the kernel resets
 * it, and a client still sending (any body larger than the socket buffers) loses the answer (`curl` prints
 * nothing, `fetch` fails with "other side closed"). On a deployed Worker the edge stands in between and the client
 * gets the 413. So the front adds `Expect: 100-continue` to a request that has a body (unless the client sent it
 * itself) and forwards the body only when workerd answers `100 Continue` (which it does when the Worker starts
 * reading the body); that interim answer is not passed on. When workerd answers with a final status instead, the
 * body is dropped and the front closes the connection after the answer (workerd closes it too); so is the rest of
 * a body when a final answer starts while it is still being sent. (A Worker that answers while it goes on reading
 * the request body, full duplex, is not served whole by `flows dev`.)
 *
 * The gate follows request boundaries (`Content-Length`, chunked framing) so that it finds the next request on a
 * kept-alive connection. It assumes a client that waits for an answer before its next request (curl, fetch and
 * browsers do; HTTP pipelining does not); anything it cannot follow (an upgrade, a broken chunked framing, a head
 * over 64 KiB) turns it into a plain pipe for the rest of the connection, which workerd then judges.
 */

const CRLF2 = Buffer.from("\r\n\r\n");
const MAX_HEAD = 64 * 1024;
const FINAL_ANSWER = /^HTTP\/1\.[01] [2-5]\d\d /;
const CONTINUE = /^HTTP\/1\.[01] 100 [^\r\n]*\r\n(?:[^\r\n]+\r\n)*\r\n/;

type Body =
  | { kind: "length"; left: number }
  | { kind: "chunked"; state: ChunkState; size: number; sawDigit: boolean };
type ChunkState =
  | "size"
  | "ext"
  | "size-lf"
  | "data"
  | "data-cr"
  | "data-lf"
  | "trailer"
  | "trailer-line"
  | "end-lf";

export interface GateOutput {
  /** Bytes to send to workerd. */
  toUpstream(bytes: Buffer): void;
  /** Bytes to send to the client. */
  toClient(bytes: Buffer): void;
  /** Stop and go on reading the client (while a held body is over `HOLD_BYTES`). */
  pauseClient(): void;
  resumeClient(): void;
}

/** How much of a held body is read from the client before the front stops reading it. */
const HOLD_BYTES = 64 * 1024;

export class ExpectGate {
  #mode: "head" | "body" | "held" | "drop" | "pipe" = "head";
  #head = Buffer.alloc(0);
  #body: Body | undefined;
  #held: Buffer[] = [];
  #heldBytes = 0;
  /** Upstream bytes seen while waiting for `100 Continue` or a final answer. */
  #answer: Buffer | undefined;

  readonly out: GateOutput;

  constructor(out: GateOutput) {
    this.out = out;
  }

  /** Bytes from the client. */
  fromClient(bytes: Buffer): void {
    let rest: Buffer | undefined = bytes;
    while (rest && rest.length > 0) rest = this.#step(rest);
  }

  /** Bytes from workerd. */
  fromUpstream(bytes: Buffer): void {
    if (this.#answer === undefined) {
      // A final answer while the body is still going up (the Worker touched the body, so workerd sent `100
      // Continue`, then refused it from its length): workerd will close the connection with the rest unread, so
      // the rest is dropped; writing it would make the connection break before the client has the whole answer.
      if (this.#mode === "body" && FINAL_ANSWER.test(bytes.subarray(0, 16).toString("latin1")))
        this.#mode = "drop";
      this.out.toClient(bytes);
      return;
    }
    this.#answer = Buffer.concat([this.#answer, bytes]);
    const text = this.#answer.toString("latin1");
    const interim = CONTINUE.exec(text);
    if (interim) {
      const after = this.#answer.subarray(interim[0].length);
      this.#answer = undefined;
      this.#mode = "body";
      const held = Buffer.concat(this.#held);
      this.#held = [];
      this.#heldBytes = 0;
      if (after.length > 0) this.fromUpstream(after);
      this.fromClient(held);
      this.out.resumeClient();
      return;
    }
    // Waiting while it may still be a `100 Continue`; anything else is the final answer.
    const mayContinue =
      text.length < 13
        ? "HTTP/1.1 100 ".startsWith(text) || "HTTP/1.0 100 ".startsWith(text)
        : /^HTTP\/1\.[01] 100 /.test(text);
    if (!mayContinue) {
      const answer = this.#answer;
      this.#answer = undefined;
      this.#held = [];
      this.#heldBytes = 0;
      this.#mode = "drop";
      // workerd closes the connection after this answer (it says `Connection: close`); the rest of the body is dropped.
      this.out.toClient(answer);
      this.out.resumeClient();
    }
  }

  /** Handles the start of `bytes`; returns what is left for the next step. */
  #step(bytes: Buffer): Buffer | undefined {
    switch (this.#mode) {
      case "pipe":
        this.out.toUpstream(bytes);
        return undefined;
      case "drop":
        return undefined;
      case "held":
        this.#held.push(bytes);
        this.#heldBytes += bytes.length;
        if (this.#heldBytes > HOLD_BYTES) this.out.pauseClient();
        return undefined;
      case "body":
        return this.#forwardBody(bytes);
      case "head":
        return this.#readHead(bytes);
    }
  }

  #readHead(bytes: Buffer): Buffer | undefined {
    const head = Buffer.concat([this.#head, bytes]);
    const end = head.indexOf(CRLF2);
    if (end < 0) {
      if (head.length > MAX_HEAD) return this.#pipe(head);
      this.#head = head;
      return undefined;
    }
    this.#head = Buffer.alloc(0);
    const headText = head.subarray(0, end).toString("latin1");
    const rest = head.subarray(end + 4);
    const lines = headText.split("\r\n");
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      if (colon > 0) {
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        headers.set(name, headers.has(name) ? `${headers.get(name)},${value}` : value);
      }
    }
    const method = lines[0]?.split(" ")[0] ?? "";
    const chunked = /(^|,)\s*chunked\s*$/i.test(headers.get("transfer-encoding") ?? "");
    const length = headers.get("content-length");
    if (
      headers.has("upgrade") ||
      method === "CONNECT" ||
      (!chunked && length !== undefined && !/^\d+$/.test(length))
    )
      return this.#pipe(head);
    if (chunked) this.#body = { kind: "chunked", state: "size", size: 0, sawDigit: false };
    else if (length !== undefined && Number(length) > 0)
      this.#body = { kind: "length", left: Number(length) };
    else this.#body = undefined;
    if (this.#body === undefined || headers.has("expect")) {
      this.out.toUpstream(head.subarray(0, end + 4));
      this.#mode = this.#body ? "body" : "head";
      return rest;
    }
    this.out.toUpstream(Buffer.from(`${headText}\r\nExpect: 100-continue\r\n\r\n`, "latin1"));
    this.#mode = "held";
    this.#answer = Buffer.alloc(0);
    return rest;
  }

  #pipe(bytes: Buffer): undefined {
    this.#mode = "pipe";
    this.out.toUpstream(bytes);
    return undefined;
  }

  /** Forwards body bytes up to the body's end; returns the bytes after it. */
  #forwardBody(bytes: Buffer): Buffer | undefined {
    const body = this.#body!;
    if (body.kind === "length") {
      const take = Math.min(body.left, bytes.length);
      this.out.toUpstream(bytes.subarray(0, take));
      body.left -= take;
      if (body.left > 0) return undefined;
      this.#mode = "head";
      return bytes.subarray(take);
    }
    const end = this.#chunkedEnd(body, bytes);
    if (end === "broken") return this.#pipe(bytes);
    this.out.toUpstream(bytes.subarray(0, end ?? bytes.length));
    if (end === undefined) return undefined;
    this.#mode = "head";
    return bytes.subarray(end);
  }

  /** Runs the chunked framing over `bytes`: the offset just after the body's end, undefined if it goes on. */
  #chunkedEnd(body: Extract<Body, { kind: "chunked" }>, bytes: Buffer): number | undefined | "broken" {
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i]!;
      switch (body.state) {
        case "size": {
          const digit = hexDigit(c);
          if (digit >= 0) {
            body.size = body.size * 16 + digit;
            body.sawDigit = true;
            if (body.size > Number.MAX_SAFE_INTEGER / 16) return "broken";
          } else if (c === 0x3b && body.sawDigit) body.state = "ext";
          else if (c === 0x0d && body.sawDigit) body.state = "size-lf";
          else return "broken";
          break;
        }
        case "ext":
          if (c === 0x0d) body.state = "size-lf";
          break;
        case "size-lf":
          if (c !== 0x0a) return "broken";
          body.state = body.size === 0 ? "trailer" : "data";
          break;
        case "data": {
          const take = Math.min(body.size, bytes.length - i);
          body.size -= take;
          i += take - 1;
          if (body.size === 0) body.state = "data-cr";
          break;
        }
        case "data-cr":
          if (c !== 0x0d) return "broken";
          body.state = "data-lf";
          break;
        case "data-lf":
          if (c !== 0x0a) return "broken";
          body.state = "size";
          body.sawDigit = false;
          break;
        case "trailer":
          // The start of a line after the last chunk: an empty line ends the body, any other is a trailer field.
          body.state = c === 0x0d ? "end-lf" : "trailer-line";
          break;
        case "trailer-line":
          if (c === 0x0a) body.state = "trailer";
          break;
        case "end-lf":
          if (c !== 0x0a) return "broken";
          return i + 1;
      }
    }
    return undefined;
  }
}

const hexDigit = (c: number): number =>
  c >= 0x30 && c <= 0x39
    ? c - 0x30
    : c >= 0x61 && c <= 0x66
      ? c - 0x57
      : c >= 0x41 && c <= 0x46
        ? c - 0x37
        : -1;

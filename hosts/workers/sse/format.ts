/** One Server-Sent Event. `data` may span lines; `event` and `id` may not. */
export interface SseEvent {
  event?: string;
  id?: string;
  data: string;
  /** Reconnection delay hint for the client, in milliseconds. */
  retry?: number;
}

const LINE_BREAK = /\r\n|\r|\n/;

function assertSingleLine(field: "event" | "id", value: string): void {
  // A CR or LF would end the field early and let the rest be read as another field (event injection).
  if (/[\r\n]/.test(value))
    throw new TypeError(`SSE ${field} must not contain CR or LF: ${JSON.stringify(value)}`);
  // The spec ignores an id containing NUL; refuse it rather than send an id the client silently drops.
  if (field === "id" && value.includes("\0")) throw new TypeError("SSE id must not contain NUL");
}

/**
 * Formats one event in the `text/event-stream` wire format. Data is split on every line break into `data:` lines,
 * so a client reassembles it exactly.
 * @example formatSseEvent({ event: "end", id: "7", data: '{"ok":true}' }) // "event: end\nid: 7\ndata: {\"ok\":true}\n\n"
 */
export function formatSseEvent(event: SseEvent): string {
  let out = "";
  if (event.event !== undefined) {
    assertSingleLine("event", event.event);
    out += `event: ${event.event}\n`;
  }
  if (event.id !== undefined) {
    assertSingleLine("id", event.id);
    out += `id: ${event.id}\n`;
  }
  if (event.retry !== undefined) {
    if (!Number.isInteger(event.retry) || event.retry < 0)
      throw new TypeError("SSE retry must be a whole number");
    out += `retry: ${event.retry}\n`;
  }
  for (const line of event.data.split(LINE_BREAK)) out += `data: ${line}\n`;
  return `${out}\n`;
}

/** A comment line (ignored by clients): used as a heartbeat that keeps proxies from closing an idle stream. */
export function formatSseComment(text = ""): string {
  return `${text
    .split(LINE_BREAK)
    .map((line) => `: ${line}`)
    .join("\n")}\n\n`;
}

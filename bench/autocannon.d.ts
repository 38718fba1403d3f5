/** The part of autocannon's programmatic API (`autocannon.js`, which ships no types) that `load-process.ts` uses. */
declare module "autocannon" {
  interface RequestParams {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
  }
  interface Request extends RequestParams {
    /** Called before every request: returns the request to send (fresh headers per request). */
    setupRequest?: (request: RequestParams, context: Record<string, unknown>) => RequestParams;
    /** Called with every answer (status, body text). */
    onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
  }
  interface Options {
    url: string;
    connections?: number;
    pipelining?: number;
    /** Seconds. */
    duration?: number;
    /** Per-request timeout, seconds. */
    timeout?: number;
    requests?: Request[];
  }
  interface Result {
    /** Seconds. */
    duration: number;
    requests: { total: number; average: number };
    latency: { p50: number; average: number; max: number };
    errors: number;
    timeouts: number;
    non2xx: number;
  }
  function autocannon(options: Options): Promise<Result>;
  export default autocannon;
}

/** The start-up floor of `bench/worker-cost.ts`: a Worker that only answers `ok`, to show workerd's own start. */
export default { fetch: () => new Response("ok") };

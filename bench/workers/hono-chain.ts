import { Hono } from "hono";

/**
 * Hand-written baseline for `bench/worker-cost.ts`: `POST /chain1` and `POST /chain5` in plain Hono, the same work
 * as `flows-chain.ts` (read `{"n"}` from the JSON body, add 1 once or five times, one step after the other,
 * answer `{"n"}` as JSON).
 */
const app = new Hono();

for (const steps of [1, 5]) {
  app.post(`/chain${steps}`, async (c) => {
    const body = await c.req.json<{ n: number }>();
    let value = { n: body.n };
    for (let step = 0; step < steps; step++) value = { n: value.n + 1 };
    return c.json(value);
  });
}

export default { fetch: app.fetch };

/**
 * The simulation's GitHub, shared by the bench worker (`scale.ts`, which serves the stand-in) and the bench
 * (`bench/scale.ts`, whose model reads it): the App's id, and what the stand-in allows each installation: `limit`
 * REST calls per window of `windowSeconds`, windows on the clock's multiples (GitHub's own: 5,000 an hour from a
 * window's first call). Small, so that the busy installations spend their window within seconds, as a busy
 * installation spends GitHub's hour.
 */
export const SCALE_GITHUB = { appId: "1919", limit: 10, windowSeconds: 10 } as const;

import { githubConformance } from "./conformance.ts";
import { MemoryKv } from "./testing.ts";

githubConformance("Node, in-memory KV", () => new MemoryKv() as unknown as KVNamespace);

export { looksLikeFlow } from "./detect.ts";
export { type LoadedSource, type LocateOptions, loadFlowSource, MAX_ALIAS_COUNT, MAX_DEPTH } from "./load.ts";
export { offsetInScalar } from "./locate.ts";
export { childPointer, parsePointer, toPointer } from "./pointer.ts";

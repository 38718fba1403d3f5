import { createRegistry, type KindRegistry } from "../../kernel/index.ts";
import {
  r2MultipartAbortKind,
  r2MultipartCompleteKind,
  r2MultipartCreateKind,
  r2MultipartUploadPartKind,
} from "./multipart.ts";
import { r2DeleteKind, r2GetKind, r2HeadKind, r2ListKind, r2PutKind } from "./objects.ts";

/** The R2 kinds, keyed by kind name (the run-time half: each reads its bucket lazily from `env`). */
export const R2_KINDS: KindRegistry = createRegistry(
  r2GetKind,
  r2HeadKind,
  r2PutKind,
  r2DeleteKind,
  r2ListKind,
  r2MultipartCreateKind,
  r2MultipartUploadPartKind,
  r2MultipartCompleteKind,
  r2MultipartAbortKind,
);

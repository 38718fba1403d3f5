import { createRegistry, type KindRegistry } from "../../../kernel/index.ts";
import { githubWebhookAnswerKind } from "./answer.ts";
import { githubWebhookDispatchKind } from "./dispatch.ts";
import { githubWebhookMatchKind, githubWebhookParseKind } from "./event.ts";
import {
  githubWebhookClaimKind,
  githubWebhookCompleteKind,
  githubWebhookDeferKind,
  githubWebhookRecordKind,
} from "./ledger.ts";
import { githubWebhookVerifyKind } from "./verify.ts";

/** The `github.webhook.*` kinds, as a registry. */
export const GITHUB_WEBHOOK_KINDS: KindRegistry = createRegistry(
  githubWebhookVerifyKind,
  githubWebhookParseKind,
  githubWebhookMatchKind,
  githubWebhookClaimKind,
  githubWebhookCompleteKind,
  githubWebhookRecordKind,
  githubWebhookDeferKind,
  githubWebhookDispatchKind,
  githubWebhookAnswerKind,
);

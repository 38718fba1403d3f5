import { DurableObject } from "cloudflare:workers";
import {
  type BudgetAnswer,
  type BudgetPolicy,
  type BudgetReport,
  type BudgetSnapshot,
  type BudgetTake,
  RateBudget,
} from "./budget.ts";

/** The storage key of the budget's snapshot (SQLite-backed synchronous KV). */
const STATE_KEY = "budget";
/** The state is written at most this often: every call changes it, and a lost second costs little. */
const PERSIST_MS = 1_000;

/**
 * The shared rate budget of one GitHub installation (or token): one object per identity
 * (`idFromName("app:<appId>:<installationId>")`), so every isolate that calls GitHub for it takes from the same
 * count. RPC methods `take` (report earlier calls, then plan one) and `report`. The state lives in memory (the
 * object handles its calls one at a time, so each take is atomic) and is written to storage at most once a second;
 * after a restart the object resumes from the last write (the windows it learned, the content-creating calls of
 * the last hour). Bind it as `GITHUB_BUDGET` with `new_sqlite_classes = ["FlowsGitHubBudget"]`.
 */
export class FlowsGitHubBudget extends DurableObject {
  readonly #budget: RateBudget;
  #timer: ReturnType<typeof setTimeout> | undefined = undefined;

  constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
    super(ctx, env);
    this.#budget = RateBudget.restore(ctx.storage.kv.get<BudgetSnapshot>(STATE_KEY));
  }

  /** Applies `take.reports`, then answers a permit (start in `waitMs`) or a refusal. */
  take(take: BudgetTake): BudgetAnswer {
    const answer = this.#budget.take(Date.now(), take);
    this.#persist();
    return answer;
  }

  /** Learns from finished calls (their headers) and releases their permits. */
  report(policy: BudgetPolicy, reports: readonly BudgetReport[]): void {
    this.#budget.report(Date.now(), policy, reports);
    this.#persist();
  }

  /** What the object knows (tests, debugging): the snapshot of its state. */
  state(): BudgetSnapshot {
    return this.#budget.snapshot();
  }

  #persist(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.ctx.storage.kv.put(STATE_KEY, this.#budget.snapshot());
    }, PERSIST_MS);
  }
}

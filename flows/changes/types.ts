import type { Determinism, Effect, Json } from "../ir/types.ts";

/**
 * The change plan: what a new version of a set of flows changes, and what that means, as one JSON document
 * (`flows plan --json`, the `changes.plan` node kind). Its shape is a contract: `version` says which; fields are
 * only ever added. `impl-docs/plan.md` documents it with an example of each section.
 */

/** The version of the JSON shape below. */
export const CHANGE_PLAN_VERSION = 1;

/** The part of a flow a change is about, in the order plans print them. */
export type ChangeSection =
  | "flow"
  | "triggers"
  | "responses"
  | "bindings"
  | "nodes"
  | "edges"
  | "policies"
  | "effects";

export const CHANGE_SECTIONS: readonly ChangeSection[] = [
  "flow",
  "triggers",
  "responses",
  "bindings",
  "nodes",
  "edges",
  "policies",
  "effects",
];

export type ChangeOp = "added" | "removed" | "changed" | "renamed";

/** One change of one flow. */
export interface Change {
  section: ChangeSection;
  op: ChangeOp;
  /**
   * The element, named the same way in every plan: `route POST /orders`, `cron 0 * * * *`, `queue orders`,
   * `github POST /api/github/webhooks`, `binding ARCHIVE`, `node fetch`, `edge fetch.body → reply`,
   * `external http.fetch to ${{ vars.API }}`, `flow version`, `flow determinism`.
   */
  subject: string;
  /** The field of the element that changed (`inputs.url`, `schedule`, `retry`), when it is one field. */
  field: string | null;
  /** One sentence for people; code in backticks (Markdown). */
  message: string;
  /** The value before and after (canonical: expressions printed by CEL, defaults applied); null when none. */
  before: Json;
  after: Json;
  /** Why the change breaks callers or runs in flight; null when it does not. */
  breaking: string | null;
}

/** One flow that was added, removed or changed. */
export interface FlowChange {
  id: string;
  status: "added" | "removed" | "changed";
  file: { before: string | null; after: string | null };
  version: { before: string | null; after: string | null };
  /** The flow's determinism on each side (null on the side it is missing from). */
  determinism: { before: Determinism | null; after: Determinism | null };
  /** The flow's effects on each side, weakest first. */
  effects: { before: Effect[]; after: Effect[] };
  changes: Change[];
  /** How many of `changes` are breaking. */
  breaking: number;
}

/** A route, queue or GitHub event that more than one flow of the new set serves, and did not before. */
export interface SharedTrigger {
  /** `route`: an HTTP method and path; `queue`: a consumed queue; `github`: an event on a webhook path. */
  type: "route" | "queue" | "github";
  /** `POST /orders/:`, `orders`, `POST /api/github/webhooks issues.opened`. */
  key: string;
  /** The flows that serve it, sorted. */
  flows: string[];
  message: string;
}

/** A file that could not be planned (it does not load, or is not a flow). */
export interface PlanProblem {
  side: "before" | "after";
  file: string;
  /**
   * The loader's diagnostic code (`FLOW_SYNTAX`...), or `PLAN_NOT_A_FLOW`, `PLAN_DUPLICATE_FLOW`, or (the
   * `changes.plan` kind) `PLAN_FILE_UNREADABLE` for a file whose content did not come.
   */
  code: string;
  message: string;
}

export interface ChangePlan {
  version: typeof CHANGE_PLAN_VERSION;
  /** `unchanged`: nothing to show; `changed`: changes, none breaking; `breaking`: at least one breaking change. */
  status: "unchanged" | "changed" | "breaking";
  summary: {
    flows: {
      before: number;
      after: number;
      added: number;
      removed: number;
      changed: number;
      unchanged: number;
    };
    changes: number;
    breaking: number;
  };
  /** The flows that changed, by id. */
  flows: FlowChange[];
  shared: SharedTrigger[];
  problems: PlanProblem[];
}

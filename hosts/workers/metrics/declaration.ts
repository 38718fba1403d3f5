import type { BindingDecl, FlowDocument } from "../../../flows/ir/types.ts";

/**
 * Run metrics in Workers Analytics Engine, the pure half: which binding a flow writes to, the wrangler entries the
 * packager adds, and the column layout of a data point (the query schema users depend on: impl-docs/observability.md).
 * No I/O: it loads in Node too.
 */

/** The columns of a run's data point, in order (`index1`, `blob1…blob7`, `double1…double5` in SQL). */
export const METRICS_COLUMNS = Object.freeze({
  index: ["flowId"],
  blobs: ["triggerType", "triggerId", "status", "errorCode", "flowVersion", "errorNode", "slowestNode"],
  doubles: ["durationMs", "nodes", "retries", "slowestNodeMs", "weight"],
} as const);

/** The analyticsEngine binding a flow writes its runs to: `metrics.binding`, else its only one; none without `metrics:`. */
export function metricsBindingOf(doc: FlowDocument): string | undefined {
  if (!doc.metrics) return undefined;
  if (doc.metrics.binding) return doc.metrics.binding;
  const datasets = Object.entries(doc.bindings ?? {}).filter(([, decl]) => decl.type === "analyticsEngine");
  return datasets.length === 1 ? datasets[0]![0] : undefined;
}

/** The wrangler entries of the flows' Analytics Engine datasets. */
export function metricsWrangler(bindings: Readonly<Record<string, BindingDecl>>): {
  analytics_engine_datasets?: { binding: string; dataset: string }[];
} {
  const datasets = Object.entries(bindings).flatMap(([binding, decl]) =>
    decl.type === "analyticsEngine" ? [{ binding, dataset: decl.dataset }] : [],
  );
  return datasets.length > 0 ? { analytics_engine_datasets: datasets } : {};
}

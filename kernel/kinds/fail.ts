import { NonRetriableError } from "../errors.ts";
import { BUILTIN_KIND_SPECS, KIND_FAIL } from "./specs.ts";
import type { NodeKind } from "./types.ts";

/**
 * `fail`: ends the run with a user error: code `config.code`, HTTP status `config.status` (default 400),
 * message and details from the inputs. It is never retried.
 */
export const failKind: NodeKind = {
  spec: BUILTIN_KIND_SPECS[KIND_FAIL]!,
  run: (ctx) => {
    const details = ctx.inputs.details;
    throw new NonRetriableError(String(ctx.inputs.message ?? "the flow failed"), {
      code: String(ctx.config.code),
      status: typeof ctx.config.status === "number" ? ctx.config.status : 400,
      expose: true,
      nodeId: ctx.nodeId,
      ...(details === undefined ? {} : { details }),
    });
  },
};

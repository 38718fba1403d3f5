// Tests compile expressions synchronously (createPlan, the validator) outside a host's run: load the CEL library
// first, as the CLI and the validator do (flows/expr/cel-loader.ts). The Workers host loads it itself before its
// first run; `flows/expr/cel-lazy.test.ts` checks that a Worker's import does not.
import "../flows/expr/cel-eager.ts";

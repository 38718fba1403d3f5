/**
 * For the tests that hold a fast path to CEL's answers: what compiling and evaluating gave, its value or its
 * error's code and message, so that two evaluations compare whole.
 * @example expect(outcome(() => fast.evaluate(scope))).toEqual(outcome(() => cel.evaluate(scope)))
 */
export function outcome(run: () => unknown): unknown {
  try {
    return { value: run() };
  } catch (error) {
    const e = error as { code?: string; message: string };
    return { error: e.code, message: e.message };
  }
}

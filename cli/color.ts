/** ANSI colours, only when writing to a terminal and NO_COLOR is not set (https://no-color.org). */
export interface Colors {
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
  cyan(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const wrap =
  (on: boolean, open: number, close: number) =>
  (text: string): string =>
    on ? `\u001b[${open}m${text}\u001b[${close}m` : text;

/**
 * Colours for a stream: never with NO_COLOR (non-empty; it wins over FORCE_COLOR), else forced by FORCE_COLOR
 * (non-empty, not "0"), else on for a TTY.
 */
export function colorsFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Colors {
  const forced = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "" && env.FORCE_COLOR !== "0";
  const on = !env.NO_COLOR && (forced || stream.isTTY === true);
  return {
    red: wrap(on, 31, 39),
    yellow: wrap(on, 33, 39),
    green: wrap(on, 32, 39),
    cyan: wrap(on, 36, 39),
    dim: wrap(on, 2, 22),
    bold: wrap(on, 1, 22),
  };
}

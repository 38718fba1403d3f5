/** What a command may use of the process: output streams and the exit code (injected, for tests). */
export interface CommandIO {
  stdout: { isTTY?: boolean };
  out(text: string): void;
  err(text: string): void;
  setExitCode(code: number): void;
}

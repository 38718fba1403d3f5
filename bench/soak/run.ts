import { expressionBoundsSection } from "./bad-expressions.ts";
import { badFlowsSection } from "./bad-flows.ts";
import { badHttpSection } from "./bad-http.ts";
import { faultsSection, resumeSection } from "./faults.ts";
import { floodSection } from "./flood.ts";
import { longRunsSection } from "./long-runs.ts";
import { resumableSection } from "./resumable.ts";
import { securitySection } from "./security-scan.ts";

/**
 * `npm run soak`: the hardening checks of impl-docs/security.md, bounded in time, load only to 127.0.0.1. Each
 * section prints its figures and returns whether its properties held; the command exits non-zero if any failed.
 * Add a section by adding a line.
 */
export interface SoakSection {
  name: string;
  /** Runs the section, printing its figures; resolves to false when a property failed. */
  run(print: (line: string) => void): Promise<boolean>;
}

const sections: readonly SoakSection[] = [
  badFlowsSection,
  badHttpSection,
  expressionBoundsSection,
  securitySection,
  floodSection,
  faultsSection,
  resumeSection,
  longRunsSection,
  resumableSection,
];

let failed = 0;
for (const section of sections) {
  console.log(`## ${section.name}`);
  const started = performance.now();
  let ok = false;
  try {
    ok = await section.run((line) => console.log(line));
  } catch (error) {
    console.log(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
  console.log(
    `${ok ? "PASS" : "FAIL"} ${section.name} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`,
  );
  if (!ok) failed++;
}
console.log(`soak: ${sections.length - failed} sections passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;

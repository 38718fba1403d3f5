import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ChangePlan } from "../../flows/changes/index.ts";
import { ROOT } from "../../test/flows.ts";
import { failKind, runKind } from "../testing.ts";
import { CHANGES_KINDS, KIND_CHANGES_PLAN } from "./index.ts";

const FIXTURE = join(ROOT, "flows", "changes", "fixtures", "retry-policy");
const before = readFileSync(join(FIXTURE, "before", "archive.yaml"), "utf8");
const after = readFileSync(join(FIXTURE, "after", "archive.yaml"), "utf8");
const base64 = (text: string) => {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  // GitHub wraps base64 content at 60 characters.
  return btoa(binary).replace(/(.{60})/g, "$1\n");
};
const plan = (inputs: Record<string, unknown>, config = {}) =>
  runKind(CHANGES_KINDS, KIND_CHANGES_PLAN, { inputs, config, env: {} });

describe("changes.plan", () => {
  it("plans { path, text } files and GitHub content objects alike, with the Markdown and text of `flows plan`", async () => {
    const out = await plan({
      before: [{ path: "flows/archive.yaml", text: before }],
      after: [{ path: "flows/archive.yaml", content: base64(after), encoding: "base64", sha: "x" }],
    });
    expect(out.status).toBe("changed");
    expect([out.changed, out.breaking, out.files]).toEqual([true, false, { before: 1, after: 1 }]);
    expect(out.text).toBe(
      readFileSync(join(FIXTURE, "expected.txt"), "utf8").replaceAll("archive.yaml", "flows/archive.yaml"),
    );
    expect(out.markdown).toBe(
      readFileSync(join(FIXTURE, "expected.md"), "utf8").replaceAll("archive.yaml", "flows/archive.yaml"),
    );
    expect((out.plan as ChangePlan).flows[0]!.changes[0]!.message).toBe(
      "node `save` (`write` to R2 `ARCHIVE`) is now retried 5× (was not retried)",
    );
  });

  it("leaves out files that are not flows and null entries, and titles the Markdown as configured", async () => {
    const out = await plan(
      {
        before: [null, { path: "config.yaml", text: "name: x\n" }],
        after: [{ path: "package.json", text: "{}" }],
      },
      { title: "Flows" },
    );
    expect([out.status, out.changed, out.files]).toEqual(["unchanged", false, { before: 0, after: 0 }]);
    expect(out.markdown).toBe("### Flows: no changes\n\n0 flows compared: nothing changes.\n");
  });

  it("reports a file whose content did not come as not planned, and does not call its flows removed", async () => {
    const out = await plan({
      before: [{ path: "flows/archive.yaml", text: before }],
      after: [{ path: "flows/archive.yaml", content: "", encoding: "none" }],
    });
    const result = out.plan as ChangePlan;
    expect(result.flows).toEqual([]);
    expect(result.problems).toEqual([
      {
        side: "after",
        file: "flows/archive.yaml",
        code: "PLAN_FILE_UNREADABLE",
        message: 'no content came with it (encoding "none": too large?)',
      },
    ]);
    expect(out.changed).toBe(true);
  });

  it("refuses inputs that are not lists of files with a path", async () => {
    const notList = await failKind(CHANGES_KINDS, KIND_CHANGES_PLAN, {
      inputs: { before: {}, after: [] },
      env: {},
    });
    expect([notList.code, notList.message]).toEqual([
      "NODE_INPUT_INVALID",
      "node `n`: input `before` must be a list of files ({ path, text })",
    ]);
    const noPath = await failKind(CHANGES_KINDS, KIND_CHANGES_PLAN, {
      inputs: { before: [], after: [{ text: "" }] },
      env: {},
    });
    expect(noPath.message).toBe("node `n`: input `after` entry 0 has no `path`");
    const many = await failKind(CHANGES_KINDS, KIND_CHANGES_PLAN, {
      inputs: { before: Array.from({ length: 301 }, () => null), after: [] },
      env: {},
    });
    expect(many.message).toBe("node `n`: input `before` has 301 files; the limit is 300");
  });
});

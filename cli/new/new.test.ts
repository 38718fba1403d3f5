import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { flowsInProcess, ROOT } from "../run/testing.ts";
import { TEMPLATES } from "./index.ts";

const tmp = mkdtempSync(join(tmpdir(), "flows-new-test-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The `flows …` steps of a project's `npm test` script, with paths made absolute. */
function testSteps(dir: string): string[][] {
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { scripts: { test: string } };
  return pkg.scripts.test.split(" && ").map((step) => {
    const [bin, command, ...args] = step.split(" ");
    expect(bin).toBe("flows");
    return [command!, ...args.map((a) => (a.startsWith("--") ? a : join(dir, a)))];
  });
}

describe("flows new", () => {
  it.each(TEMPLATES)(
    "writes a %s project whose test steps (validate, run --expect) pass",
    async (template) => {
      const dir = join(tmp, `direct-${template}`);
      const created = await flowsInProcess(["new", dir, "--template", template]);
      expect(created.code).toBe(0);
      expect(created.stdout).toContain(`created ${dir} from template ${template}:`);
      for (const file of ["package.json", "README.md", ".gitignore"])
        expect(existsSync(join(dir, file))).toBe(true);
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      expect(pkg.name).toBe(`direct-${template}`);
      const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
      // The installed package's own version range; the Worker named after the project, wrangler its own.
      expect(pkg.dependencies).toEqual({ "flows-runtime": `^${version}` });
      expect(pkg.devDependencies).toEqual({ wrangler: expect.stringMatching(/^\^4\./) });
      // Where capability packages are listed, and every flow pointed at the installed editor schema.
      expect(pkg.flows).toEqual({ capabilities: [] });
      for (const flow of readdirSync(join(dir, "flows"))) {
        expect(readFileSync(join(dir, "flows", flow), "utf8").split("\n")[0], flow).toBe(
          "# yaml-language-server: $schema=../node_modules/flows-runtime/dist/flows/generated/flow.schema.json",
        );
      }
      expect(pkg.scripts.package).toBe(`flows package workers flows --out dist --name direct-${template}`);
      expect(readFileSync(join(dir, "README.md"), "utf8")).toMatch(new RegExp(`^# direct-${template}\\n`));
      const steps = testSteps(dir);
      expect(steps[0]![0]).toBe("validate");
      expect(steps.filter((s) => s[0] === "run" && s.includes("--expect")).length).toBeGreaterThan(0);
      for (const step of steps) {
        const result = await flowsInProcess(step);
        // Reports go to stderr (validate's summary); no error or warning may be among them.
        expect({
          step: step.join(" "),
          code: result.code,
          problems: result.stderr.match(/error\[|warning\[|✗/g),
        }).toEqual({
          step: step.join(" "),
          code: 0,
          problems: null,
        });
      }
    },
  );

  it("writes the --flows-spec given into package.json", async () => {
    const dir = join(tmp, "spec");
    expect(
      (await flowsInProcess(["new", dir, "--template", "cron", "--flows-spec", "file:../flows"])).code,
    ).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).dependencies["flows-runtime"]).toBe(
      "file:../flows",
    );
  });

  it("refuses a non-empty folder without --force (CLI_DIR_NOT_EMPTY, exit 2) and writes into it with --force", async () => {
    const dir = join(tmp, "taken");
    mkdirSync(dir);
    writeFileSync(join(dir, "notes.txt"), "mine");
    const refused = await flowsInProcess(["new", dir, "--template", "queue"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      `flows: error[CLI_DIR_NOT_EMPTY] ${dir} is not empty: choose a new or empty folder, or pass --force to write the template's files into it\n`,
    );
    expect(existsSync(join(dir, "package.json"))).toBe(false);
    const forced = await flowsInProcess(["new", dir, "--template", "queue", "--force"]);
    expect(forced.code).toBe(0);
    expect(existsSync(join(dir, "flows", "orders.yaml"))).toBe(true);
    expect(readFileSync(join(dir, "notes.txt"), "utf8")).toBe("mine");
  });

  it("exits 2 for an unknown or missing template and for a folder it cannot write", async () => {
    const unknown = await flowsInProcess(["new", join(tmp, "u"), "--template", "grpc"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      "flows: error[CLI_OPTION_INVALID] unknown template `grpc`: choose one of http-sse, github-app, queue, cron\n",
    );
    const none = await flowsInProcess(["new", join(tmp, "n")]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("error[CLI_OPTION_INVALID] --template is required");
    const file = join(tmp, "a-file");
    writeFileSync(file, "x");
    const unwritable = await flowsInProcess(["new", join(file, "app"), "--template", "cron"]);
    expect(unwritable.code).toBe(2);
    expect(unwritable.stderr).toContain(
      `error[CLI_OUT_UNWRITABLE] cannot write the project into ${join(file, "app")}: ENOTDIR`,
    );
  });
});

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { watchFlows } from "./dev-watch.ts";

const temp = mkdtempSync(join(tmpdir(), "flows-watch-"));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

/** Waits until `seen` holds `file` (a change reported), at most `ms`; then forgets what was seen. */
async function changed(seen: string[], file: string, ms = 5_000): Promise<boolean> {
  for (let i = 0; i < ms / 50 && !seen.includes(file); i++) await new Promise((r) => setTimeout(r, 50));
  const found = seen.includes(file);
  seen.length = 0;
  return found;
}

describe("watching flows for flows dev", () => {
  it("sees every later edit of a file that was saved by rename (sed -i, an editor's safe write)", async () => {
    const dir = join(temp, "renamed");
    mkdirSync(join(dir, "app"), { recursive: true });
    const file = join(dir, "app", "a.yaml");
    writeFileSync(file, "a: 1\n");
    const seen: string[] = [];
    const watcher = await watchFlows([dir], (f) => seen.push(f));
    try {
      execFileSync("sed", ["-i", "s/1/2/", file]);
      expect(await changed(seen, file)).toBe(true);
      writeFileSync(file, "a: 3\n");
      expect(await changed(seen, file)).toBe(true);
      // An editor's safe write: a temporary file renamed over the original.
      writeFileSync(join(dir, "app", ".a.yaml.swp"), "a: 4\n");
      renameSync(join(dir, "app", ".a.yaml.swp"), file);
      expect(await changed(seen, file)).toBe(true);
      writeFileSync(file, "a: 5\n");
      expect(await changed(seen, file)).toBe(true);
    } finally {
      watcher.close();
    }
  });

  it("sees a .dev.vars given by itself appear later (the project's own, before it exists)", async () => {
    const dir = join(temp, "project");
    mkdirSync(dir, { recursive: true });
    const vars = join(dir, ".dev.vars");
    const seen: string[] = [];
    const watcher = await watchFlows([vars], (f) => seen.push(f));
    try {
      writeFileSync(join(dir, "other.yaml"), "a: 1\n");
      expect(await changed(seen, join(dir, "other.yaml"), 500)).toBe(false);
      writeFileSync(vars, "A=1\n");
      expect(await changed(seen, vars)).toBe(true);
    } finally {
      watcher.close();
    }
  });

  it("watches directories created later, and a flow file given alone with its .dev.vars", async () => {
    const dir = join(temp, "later");
    mkdirSync(dir, { recursive: true });
    const seen: string[] = [];
    const watcher = await watchFlows([dir], (f) => seen.push(f));
    try {
      mkdirSync(join(dir, "new"));
      await new Promise((r) => setTimeout(r, 200));
      writeFileSync(join(dir, "new", "b.yaml"), "b: 1\n");
      expect(await changed(seen, join(dir, "new", "b.yaml"))).toBe(true);
      writeFileSync(join(dir, "new", "notes.txt"), "not a flow\n");
      mkdirSync(join(dir, ".flows"));
      await new Promise((r) => setTimeout(r, 200));
      writeFileSync(join(dir, ".flows", "flows.json"), "{}\n");
      expect(await changed(seen, join(dir, ".flows", "flows.json"), 500)).toBe(false);
    } finally {
      watcher.close();
    }

    const single = join(temp, "single");
    mkdirSync(single, { recursive: true });
    writeFileSync(join(single, "c.yaml"), "c: 1\n");
    const alone = await watchFlows([join(single, "c.yaml")], (f) => seen.push(f));
    try {
      execFileSync("sed", ["-i", "s/1/2/", join(single, "c.yaml")]);
      expect(await changed(seen, join(single, "c.yaml"))).toBe(true);
      writeFileSync(join(single, ".dev.vars"), "A=1\n");
      expect(await changed(seen, join(single, ".dev.vars"))).toBe(true);
      writeFileSync(join(single, "other.yaml"), "d: 1\n");
      expect(await changed(seen, join(single, "other.yaml"), 500)).toBe(false);
    } finally {
      alone.close();
    }
  });
});

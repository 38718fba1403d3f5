import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadProject, resolveSpecifier } from "./project.ts";

const temp = mkdtempSync(join(tmpdir(), "flows-project-"));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

/** A project folder with this package.json and hand-written packages in node_modules. */
function project(
  name: string,
  manifest: unknown,
  packages: Record<string, Record<string, string>> = {},
): string {
  const dir = join(temp, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify(manifest));
  for (const [pkg, files] of Object.entries(packages)) {
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(join(dir, "node_modules", pkg, file, ".."), { recursive: true });
      writeFileSync(join(dir, "node_modules", pkg, file), text);
    }
  }
  return dir;
}

const failure = async (dir: string) => {
  const error = (await loadProject(dir).catch((e: unknown) => e)) as { code?: string; message?: string };
  return [error.code, error.message];
};

/** A capability as plain data (what `defineCapability` returns), declaring `kind`. */
const capabilityModule = (name: string, kind: string) => `export default {
  name: ${JSON.stringify(name)},
  kinds: { ${JSON.stringify(kind)}: { kind: ${JSON.stringify(kind)}, description: "x", effect: "pure", determinism: "stable", inputs: {}, outputs: { out: {} }, configSchema: { type: "object" } } },
  runtime: { module: "${name}/kinds", export: "KINDS" },
  codes: {},
  wrangler: () => ({}),
};`;

describe("loadProject", () => {
  it("has the built-in capabilities only when package.json lists none", async () => {
    const dir = project("plain", { name: "plain" });
    const loaded = await loadProject(dir);
    expect(loaded.packages).toEqual([]);
    expect(loaded.catalog["kv.get"]).toBeDefined();
    expect(loaded.configValidators).toEqual({});
  });

  it("refuses a listed package that is not installed, with CLI_CAPABILITY_INVALID", async () => {
    const dir = project("missing", { flows: { capabilities: ["flows-capability-missing"] } });
    expect(await failure(dir)).toEqual([
      "CLI_CAPABILITY_INVALID",
      `cannot find package \`flows-capability-missing\` from ${dir}: install it (\`npm install flows-capability-missing\`) or remove it from "flows.capabilities" in package.json`,
    ]);
  });

  it("refuses a list that is not package names, and a package that exports no capability", async () => {
    const list = project("list", { flows: { capabilities: "flows-capability-echo" } });
    expect(await failure(list)).toEqual([
      "CLI_CAPABILITY_INVALID",
      `${join(list, "package.json")}: "flows.capabilities" must be a list of package names`,
    ]);
    const empty = project(
      "empty",
      { flows: { capabilities: ["cap-empty"] } },
      {
        "cap-empty": {
          "package.json": '{"name":"cap-empty","type":"module","exports":"./index.js"}',
          "index.js": "export const x = 1;",
        },
      },
    );
    expect(await failure(empty)).toEqual([
      "CLI_CAPABILITY_INVALID",
      "package `cap-empty` does not export a capability: its main module must `export default defineCapability({...})`",
    ]);
  });

  it("refuses a package whose kind a built-in capability already declares", async () => {
    const dir = project(
      "clash",
      { flows: { capabilities: ["cap-clash"] } },
      {
        "cap-clash": {
          "package.json": '{"name":"cap-clash","type":"module","exports":{".":"./index.js"}}',
          "index.js": capabilityModule("clash", "kv.get"),
        },
      },
    );
    expect(await failure(dir)).toEqual([
      "CLI_CAPABILITY_INVALID",
      "node kind `kv.get` is declared by capabilities `kv` and `clash`",
    ]);
  });

  it("adds a listed package's kinds to the catalog, with their config validators compiled", async () => {
    const dir = project(
      "ok",
      { flows: { capabilities: ["cap-ok"] } },
      {
        "cap-ok": {
          "package.json": '{"name":"cap-ok","type":"module","main":"main.js"}',
          "main.js": capabilityModule("ok", "ok.say"),
        },
      },
    );
    const loaded = await loadProject(dir);
    expect(loaded.packages).toEqual(["cap-ok"]);
    expect(loaded.registry.owner("ok.say")?.name).toBe("ok");
    expect(loaded.configValidators["ok.say"]?.({})).toBe(true);
    expect(loaded.configValidators["ok.say"]?.(5)).toBe(false);
  });
});

describe("resolveSpecifier", () => {
  it("resolves a package's subpath through its exports map, and names a subpath it does not export", async () => {
    const dir = project(
      "exports",
      {},
      {
        "@acme/cap": {
          "package.json": '{"name":"@acme/cap","exports":{".":"./i.js","./kinds":{"import":"./k.js"}}}',
        },
      },
    );
    expect(await resolveSpecifier("@acme/cap/kinds", dir)).toBe(
      join(dir, "node_modules", "@acme", "cap", "k.js"),
    );
    await expect(resolveSpecifier("@acme/cap/other", dir)).rejects.toThrow(
      "package `@acme/cap` exports no `./other` (needed for `@acme/cap/other`)",
    );
  });
});

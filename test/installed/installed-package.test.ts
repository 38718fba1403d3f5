import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unstable_startWorker } from "wrangler";
import {
  must,
  projectWith,
  ROOT,
  readJson,
  sh,
  sharedTarball,
  type Tarball,
  tempDir,
  writeLock,
} from "./project.ts";

// flows as a user gets it: the packed tarball, installed offline into projects outside the checkout.
const temp = tempDir("flows-installed-");
let tarball: Tarball;

beforeAll(() => {
  tarball = sharedTarball();
  console.log(
    `npm pack: ${tarball.file.split("/").pop()} ${(tarball.size / 1024).toFixed(1)} KiB packed, ${(tarball.unpackedSize / 1024).toFixed(1)} KiB unpacked, ${tarball.files.length} files`,
  );
}, 180_000);

// The installed project holds a whole node_modules: removing it takes more than the default 10 s on a loaded disk.
afterAll(() => rmSync(temp, { recursive: true, force: true }), 120_000);

type Served = Awaited<ReturnType<typeof unstable_startWorker>>;

async function serve(config: string): Promise<Served> {
  const worker = await unstable_startWorker({
    config,
    dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, persist: false },
  });
  await worker.ready;
  return worker;
}

const post = async (
  worker: Served,
  path: string,
  body: unknown,
  accept = "application/json",
): Promise<Response> =>
  (await worker.fetch(`http://127.0.0.1${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", accept },
    body: JSON.stringify(body),
  })) as unknown as Response;

/** The fenced block after `<!-- embedding:<name> -->` in the README: what a user copies. */
function readmeBlock(marker: string): string {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const at = readme.indexOf(marker);
  if (at === -1) throw new Error(`README.md has no ${marker}`);
  const open = readme.indexOf("\n", readme.indexOf("```", at)) + 1;
  return readme.slice(open, readme.indexOf("\n```", open) + 1);
}

describe("the packed tarball", () => {
  it("holds the built JavaScript, declarations and generated modules, and no tests, benches or examples", () => {
    const paths = tarball.files.map((f) => f.path);
    for (const needed of [
      "package.json",
      "README.md",
      "dist/cli/bin.js",
      "dist/flows/generated/validators.js",
      "dist/flows/generated/builtin-flows.js",
      "dist/flows/schema/flow.v1.json",
      "dist/hosts/workers/index.js",
      "dist/hosts/workers/index.d.ts",
      "dist/cli/new/templates/http-sse/package.json",
    ])
      expect(paths).toContain(needed);
    // The templates of `flows new` carry their own test fixtures: those are what a new project starts with.
    const unwanted = paths.filter(
      (p) =>
        (!p.startsWith("dist/cli/new/templates/") &&
          /\.test\.|(^|\/)(bench|examples|test|fixtures|\.ci)\//.test(p)) ||
        (p.endsWith(".ts") && !p.endsWith(".d.ts")),
    );
    expect(unwanted).toEqual([]);
    const manifest = readJson<{ exports: Record<string, unknown>; bin: Record<string, string> }>(
      join(ROOT, "package.json"),
    );
    for (const [entry, target] of Object.entries(manifest.exports)) {
      const files = typeof target === "string" ? [target] : Object.values(target as Record<string, string>);
      for (const file of files)
        expect({ entry, file, packed: paths.includes(file.slice(2)) }).toMatchObject({ packed: true });
    }
    expect(paths).toContain(manifest.bin.flows);
  });

  it("runs its CLI from an installed copy, and an older Node gets one line instead of a stack", () => {
    const home = projectWith(join(temp, "cli"), tarball.file);
    const version = must(home, "npx", ["flows", "--version"]);
    expect(version.stdout.trim()).toBe(readJson<{ version: string }>(join(ROOT, "package.json")).version);
    const systemNode = ["/usr/bin/node", "/usr/local/bin/node"].find((path) => existsSync(path));
    if (!systemNode) throw new Error("no system Node to run the bin with");
    const major = Number(must(home, systemNode, ["-p", "process.versions.node.split('.')[0]"]).stdout.trim());
    const ran = sh(home, systemNode, [
      join(home, "node_modules", "flows-runtime", "dist", "cli", "bin.js"),
      "--version",
    ]);
    // wrangler is an optional peer: without it, `flows dev` says what to install in one line.
    mkdirSync(join(home, "flows"), { recursive: true });
    writeFileSync(join(home, "flows", "hello.yaml"), readmeBlock("## A flow"));
    const dev = sh(home, "npx", ["flows", "dev", "flows", "--port", "0"]);
    expect({ code: dev.code, stderr: dev.stderr.trim().split("\n") }).toEqual({
      code: 2,
      stderr: [
        "flows: flows dev needs wrangler, which is not installed here: run `npm install --save-dev wrangler`",
      ],
    });
    if (major < 22) {
      expect(ran.code).toBe(1);
      expect(ran.stderr.trim().split("\n")).toEqual([
        expect.stringMatching(/^flows needs Node\.js 22 or newer \(this is v\d+/),
      ]);
    } else {
      expect(ran.code).toBe(0);
    }
  }, 240_000);
});

describe("a project made by the installed `flows new`", () => {
  let worker: Served | undefined;
  afterAll(async () => worker?.dispose());

  it("installs, passes its own tests, packages, is accepted by wrangler deploy --dry-run and answers its route", async () => {
    const home = projectWith(join(temp, "home"), tarball.file);
    must(home, "npx", [
      "flows",
      "new",
      "app",
      "--template",
      "http-sse",
      "--flows-spec",
      `file:${tarball.file}`,
    ]);
    const app = join(home, "app");
    const pkg = readJson<{ name: string; dependencies: Record<string, string> }>(join(app, "package.json"));
    expect(pkg.dependencies).toEqual({ "flows-runtime": `file:${tarball.file}` });
    writeLock(app, tarball.file); // npm's cache has the tarballs but not the registry's metadata: see writeLock
    must(app, "npm", ["install"]);
    const tested = must(app, "npm", ["test"]);
    expect(tested.stdout).toContain('"text": "Hello, Ada!"');
    must(app, "npm", ["run", "package"]);
    const config = readFileSync(join(app, "dist", "wrangler.jsonc"), "utf8");
    expect(config).toContain('"name": "app"');
    const dry = sh(app, "npx", ["wrangler", "deploy", "--dry-run", "--config", "dist/wrangler.jsonc"]);
    expect(`${dry.stdout}${dry.stderr}`).toContain("--dry-run: exiting now.");
    expect(dry.code).toBe(0);
    worker = await serve(join(app, "dist", "wrangler.jsonc"));
    const answer = await post(worker, "/greet", { name: "Ada" }, "text/event-stream");
    expect(answer.status).toBe(200);
    const text = await answer.text();
    expect(text).toContain("event: end");
    expect(text).toContain("Hello, Ada!");
  }, 480_000);
});

describe("a plain Worker project using createWorker exactly as the README shows", () => {
  let worker: Served | undefined;
  afterAll(async () => worker?.dispose());

  it("type-checks strictly, is bundled by wrangler and answers the README's flow", async () => {
    const project = projectWith(join(temp, "plain"), tarball.file, {
      dev: { wrangler: "4.156.2", "@cloudflare/workers-types": "5.20261117.1", typescript: "6.0.3" },
    });
    for (const file of ["wrangler.jsonc", "src/index.ts", "src/env.d.ts", "tsconfig.json"]) {
      mkdirSync(dirname(join(project, file)), { recursive: true });
      writeFileSync(join(project, file), readmeBlock(`<!-- embedding:${file} -->`));
    }
    writeFileSync(join(project, "src", "hello.yaml"), readmeBlock("## A flow"));
    const typed = sh(project, "npx", ["tsc", "-p", "tsconfig.json"]);
    expect(`${typed.stdout}${typed.stderr}`).toBe("");
    expect(typed.code).toBe(0);
    const dry = sh(project, "npx", ["wrangler", "deploy", "--dry-run", "--outdir", "out"]);
    expect(`${dry.stdout}${dry.stderr}`).toContain("--dry-run: exiting now.");
    expect(existsSync(join(project, "out", "index.js"))).toBe(true);
    worker = await serve(join(project, "wrangler.jsonc"));
    const answer = await post(worker, "/hello", { name: "Ada" });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ text: "Hello, Ada!" });
  }, 480_000);
});

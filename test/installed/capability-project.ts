import { join } from "node:path";
import { must, projectWith, ROOT, readJson, sharedTarball, tempDir } from "./project.ts";

/** The third-party capability package the tests install (kind `echo.say`, code `ECHO_EMPTY`, a `vars` entry). */
export const CAPABILITY_FIXTURE = join(ROOT, "test", "fixtures", "flows-capability-echo");

/**
 * Makes a user project in a temporary folder: flows-runtime from `tarball` (packed from this checkout when not
 * given), wrangler, and the fixture capability from its own `npm pack` tarball, installed offline, the capability
 * listed in package.json (`"flows": { "capabilities": ["flows-capability-echo"] }`). Returns the project folder
 * and the temporary folder holding it (remove that one).
 */
export function prepareCapabilityProject(tarball?: string): { dir: string; temp: string } {
  const temp = tempDir("flows-capability-");
  const runtime = tarball ?? sharedTarball().file;
  // wrangler as a user installs it for `flows dev` (the checkout's version, in npm's cache).
  const { devDependencies } = readJson<{ devDependencies: Record<string, string> }>(
    join(ROOT, "package.json"),
  );
  const dir = projectWith(join(temp, "echo-app"), runtime, {
    manifest: { flows: { capabilities: ["flows-capability-echo"] } },
    dev: { wrangler: devDependencies.wrangler! },
  });
  const packed = must(temp, "npm", ["pack", CAPABILITY_FIXTURE, "--pack-destination", temp, "--silent"]);
  const file = packed.stdout.trim().split("\n").at(-1)!;
  must(dir, "npm", ["install", join(temp, file)]);
  return { dir, temp };
}

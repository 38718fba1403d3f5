import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build, type Metafile } from "esbuild";
import { RUNTIME_ROOT } from "../package-info.ts";
import { RUNTIME_PACKAGE } from "./entry.ts";
import { PackageError } from "./errors.ts";

export interface BundleResult {
  /** Bytes of the bundle as uploaded. */
  raw: number;
  /** Bytes gzipped (what the Workers size limit counts). */
  gzip: number;
  /** The five largest contributors (an npm package, or a folder of this repository), minified bytes. */
  largest: { name: string; bytes: number }[];
}

/** `node_modules/@scope/pkg/...` → `@scope/pkg`; `kernel/kinds/map.ts` → `kernel/kinds`. */
export function contributor(path: string): string {
  const modules = path.lastIndexOf("node_modules/");
  if (modules !== -1) {
    const parts = path.slice(modules + "node_modules/".length).split("/");
    return parts[0]?.startsWith("@") ? `${parts[0]}/${parts[1]}` : (parts[0] ?? path);
  }
  const parts = path.split("/").filter((p) => p !== "..");
  return parts.length > 2 ? parts.slice(0, 2).join("/") : parts.join("/");
}

/**
 * Bundles the entry module into one ES module for workerd: `cloudflare:*` left to the runtime, browser/worker
 * conditions, minified unless `minify` is false (`flows dev`); bare specifiers also resolved from `projectRoot`'s
 * node_modules (third-party capability packages). Returns its size raw and gzipped.
 */
export async function bundle(
  entry: string,
  outfile: string,
  minify = true,
  projectRoot?: string,
): Promise<BundleResult> {
  let metafile: Metafile | undefined;
  try {
    ({ metafile } = await build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2023",
      conditions: ["workerd", "worker", "browser"],
      external: ["cloudflare:*"],
      alias: { [RUNTIME_PACKAGE]: RUNTIME_ROOT },
      absWorkingDir: RUNTIME_ROOT,
      // Capability packages are the project's dependencies: found from its node_modules wherever `out` is.
      ...(projectRoot ? { nodePaths: [join(projectRoot, "node_modules")] } : {}),
      minify,
      legalComments: "none",
      logLevel: "silent",
      metafile: true,
    }));
  } catch (error) {
    const errors = (error as { errors?: { text: string }[] }).errors ?? [];
    const message = errors.map((e) => e.text).join("; ") || String(error);
    throw new PackageError("PACKAGE_BUNDLE_FAILED", `esbuild could not bundle the Worker: ${message}`, {
      errors: errors.map((e) => e.text),
    });
  }
  const bytes = await readFile(outfile);
  const groups = new Map<string, number>();
  for (const output of Object.values(metafile?.outputs ?? {})) {
    for (const [path, input] of Object.entries(output.inputs)) {
      const name = contributor(path);
      groups.set(name, (groups.get(name) ?? 0) + input.bytesInOutput);
    }
  }
  const largest = [...groups]
    .map(([name, size]) => ({ name, bytes: size }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 5);
  return { raw: bytes.byteLength, gzip: gzipSync(bytes).byteLength, largest };
}

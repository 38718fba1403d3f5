#!/usr/bin/env node
// The CLI run from a checkout (TypeScript, by Node 22's type stripping; `npx flows` puts the project's Node 22 first
// on PATH). The published bin is dist/cli/bin.js, written by cli/build/dist.ts. The version is checked before
// anything else loads, so an old Node gets one line, not a stack.
const [major] = process.versions.node.split(".").map(Number);
if (major < 22) {
  console.error(
    `flows needs Node.js 22 or newer (this is ${process.version}): https://nodejs.org/en/download`,
  );
  process.exit(1);
}
const { main } = await import("./main.ts");
process.exitCode = await main(process.argv);

#!/usr/bin/env node
// The CLI is TypeScript run by Node 22's type stripping; `npx flows` puts the project's Node 22 first on PATH.
import { main } from "./main.ts";

process.exitCode = await main(process.argv);

#!/usr/bin/env node
// The `tapegrad` command: runs the built CLI (`pnpm build` writes dist/).
import { main } from '../dist/main.js';

process.exitCode = await main(process.argv.slice(2));

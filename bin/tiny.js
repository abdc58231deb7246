#!/usr/bin/env node
// The CLI entry point: the compiled TypeScript lives in dist/ (built by `npm install`).
import { main } from '../dist/cli/main.js';
main(process.argv).then((code) => { process.exitCode = code; });

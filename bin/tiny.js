#!/usr/bin/env node
// The CLI entry point: the compiled TypeScript, bundled, lives in dist/bundle (`npm run build`
// in a checkout; the published package ships it, built by `npm pack`'s prepack).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/bundle/main.js', import.meta.url);
if (!existsSync(entry)) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  process.stderr.write(`tiny: ${fileURLToPath(entry)} is missing: the TypeScript is not compiled\n  hint: cd ${root} && npm run build\n`);
  process.exit(2);
}
const { main } = await import(entry.href);
main(process.argv).then((code) => {
  process.exitCode = code;
});

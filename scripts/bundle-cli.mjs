#!/usr/bin/env node
// The last step of `npm run build`, after tsc and the validators: the command line bundled
// (esbuild) into dist/bundle, which bin/tiny.js runs. Node's ESM loader pays about a
// millisecond per file it resolves and reads, and a command loaded ~180 of them; what that
// cost, measured, is in docs/speed.md. The bundle keeps the loading on demand: the entry, one
// chunk per command module and the chunks they share, so a run still loads only its code.
//
// dist/bundle sits two directories below the package, as every compiled module does, so the
// paths they take from import.meta.url (schema/, toolchains/, dist/validators/, package.json)
// name the same files from a chunk. The dependencies' CommonJS modules are bundled too; the
// `require` they call for node's built-ins comes from createRequire, and their licences are
// written beside them (dist/bundle/THIRD-PARTY-LICENSES). dist/ keeps tsc's modules for the
// benches and scripts that import them.
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** Each bundled package's directory (node_modules/NAME or node_modules/@SCOPE/NAME), once. */
function bundledPackages(inputs) {
  const dirs = new Set();
  for (const input of inputs) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) dirs.add(m[1]);
  }
  return [...dirs].sort();
}

/**
 * The notice of one bundled package: name, version, licence, and its licence file's text, or
 * where its source is when the package ships none (simple-git's packages).
 */
function noticeOf(dir) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const head = `${pkg.name} ${pkg.version} (${pkg.license ?? 'no licence field'})`;
  const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
  if (file) return `${head}\n\n${readFileSync(join(dir, file), 'utf8').trim()}\n`;
  const repository = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
  return `${head}\n\nThe package ships no licence file${repository ? `; its source: ${repository}` : ''}.\n`;
}

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const bundle = `${dist}bundle`;
// Written beside and renamed into place: a build that fails leaves the last bundle whole.
const outdir = `${bundle}.tmp-${process.pid}`;
rmSync(outdir, { recursive: true, force: true });
try {
  const { metafile } = await build({
    entryPoints: [`${dist}cli/main.js`],
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
    banner: { js: "import { createRequire as createRequireForBundle } from 'node:module';\nconst require = createRequireForBundle(import.meta.url);" },
    metafile: true,
  });
  const notices = bundledPackages(Object.keys(metafile.inputs)).map(noticeOf);
  writeFileSync(join(outdir, 'THIRD-PARTY-LICENSES'), `The packages bundled into these files, and their licences.\n\n${notices.join(`\n${'-'.repeat(72)}\n\n`)}`);
} catch (e) {
  rmSync(outdir, { recursive: true, force: true });
  throw e;
}
rmSync(bundle, { recursive: true, force: true });
renameSync(outdir, bundle);
if (process.argv.includes('--verbose')) console.log(`command line bundled into ${bundle}`);

#!/usr/bin/env node
// The second half of `npm run build`, after tsc: the shipped schemas' validators as code in
// dist/validators (src/util/schema-codegen.ts), so no command compiles a schema at load.
const { writePrecompiledValidators } = await import('../dist/util/schema-codegen.js');
const { PRECOMPILED_DIR } = await import('../dist/util/yaml-schema.js');
writePrecompiledValidators(PRECOMPILED_DIR);
if (process.argv.includes('--verbose')) console.log(`validators written to ${PRECOMPILED_DIR}`);

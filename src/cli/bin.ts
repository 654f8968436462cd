#!/usr/bin/env node
// Node's compile cache (a kloop-compile-cache folder in the OS temp dir; NODE_COMPILE_CACHE
// overrides it) makes every later start of kloop several hundred milliseconds faster; it must be on
// before the rest of kloop is imported, hence the dynamic imports.
import module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

module.enableCompileCache?.(process.env.NODE_COMPILE_CACHE || join(tmpdir(), 'kloop-compile-cache'));
const { main } = await import('./main.ts');
const { printError } = await import('./print-error.ts');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    printError(error, true);
    process.exitCode = 1;
  },
);

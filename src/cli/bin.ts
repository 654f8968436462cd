#!/usr/bin/env node
// Node's compile cache (kept in the OS temp dir) makes every later start of kloop several hundred
// milliseconds faster; it must be on before the rest of kloop is imported, hence the dynamic import.
import module from 'node:module';

module.enableCompileCache?.();
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

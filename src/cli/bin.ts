#!/usr/bin/env node
// Node's compile cache (a kloop-compile-cache folder in the OS temp dir; NODE_COMPILE_CACHE
// overrides it) makes every later start of kloop several hundred milliseconds faster; it must be on
// before the rest of kloop is imported, hence the dynamic imports.
import module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

module.enableCompileCache?.(process.env.NODE_COMPILE_CACHE || join(tmpdir(), 'kloop-compile-cache'));

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // asked by scripts and editors many times a day: answered without loading the CLI
  const { version } = await import('../version.ts');
  process.stdout.write(`${version()}\n`);
} else {
  const { main } = await import('./main.ts');
  const { printError } = await import('./print-error.ts');
  main(args).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      printError(error, true);
      process.exitCode = 1;
    },
  );
}

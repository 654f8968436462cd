#!/usr/bin/env node
// Node's compile cache (a kloop-compile-cache folder in the OS temp dir; NODE_COMPILE_CACHE
// overrides it) makes every later start of kloop several hundred milliseconds faster; it must be on
// before the rest of kloop is imported, hence the dynamic imports. Built-ins come from
// process.getBuiltinModule so that the bundled entry point imports no other file.

// set by the bundled build (scripts/build.ts)
declare const KLOOP_VERSION: string | undefined;

const args = process.argv.slice(2);
// `kloop … | head`: the reader left, so there is no one to tell; stop quietly as other CLIs do
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // asked by scripts and editors many times a day: answered without loading the CLI
  const version = typeof KLOOP_VERSION === 'string' ? KLOOP_VERSION : (await import('../version.ts')).version();
  process.stdout.write(`${version}\n`);
} else {
  const { enableCompileCache } = process.getBuiltinModule('node:module');
  const { tmpdir } = process.getBuiltinModule('node:os');
  const { join } = process.getBuiltinModule('node:path');
  enableCompileCache?.(process.env.NODE_COMPILE_CACHE || join(tmpdir(), 'kloop-compile-cache'));
  const { main } = await import('./main.ts');
  const { printError } = await import('./print-error.ts');
  main(args).then(
    (code) => {
      if (process.env.KLOOP_TIMING === '1')
        process.stderr.write(`timing ${performance.now().toFixed(1).padStart(7)} ms  done\n`);
      process.exitCode = code;
    },
    (error: unknown) => {
      printError(error, true);
      process.exitCode = 1;
    },
  );
}

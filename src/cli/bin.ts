#!/usr/bin/env node
import { main } from './main.ts';
import { printError } from './print-error.ts';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    printError(error, true);
    process.exitCode = 1;
  },
);

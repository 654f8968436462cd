// A yes/no question on the terminal (gitops.pause: ask); without a terminal there is nobody to
// ask, and the answer is no.
import { createInterface } from 'node:readline/promises';

export function terminalConfirm(): ((question: string) => Promise<boolean>) | undefined {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  return async (question) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return /^y(es)?$/i.test((await rl.question(question)).trim());
    } finally {
      rl.close();
    }
  };
}

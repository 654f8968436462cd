// Writing a small project for a test: relative path → file text, folders created as needed.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function writeTree(dir: string, files: Record<string, string>): void {
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    writeFileSync(path.join(dir, p), text);
  }
}

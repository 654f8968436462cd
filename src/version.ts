import { readFileSync } from 'node:fs';

// set by the bundled build (scripts/build.ts); from sources it is read from package.json
declare const KLOOP_VERSION: string | undefined;

/** kloop's version, from package.json (one level up from src/ and two from dist/src/). */
export function version(): string {
  if (typeof KLOOP_VERSION === 'string') return KLOOP_VERSION;
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'kloop' && pkg.version) return pkg.version;
    } catch {
      // try the next location
    }
  }
  return '0.0.0';
}

// .dockerignore exactly as Docker reads and applies it, so the tag covers precisely the files a
// build sends. Reading: a line starting with "#" is a comment, lines are trimmed, "!" marks an
// exception, patterns are path-cleaned ("./a/" → "a") and a leading "/" is dropped. Matching: Go
// filepath.Match per character ("*" and "?" never cross "/", "[...]" classes, "\" escapes) plus
// "**" for any number of directories; the last matching pattern wins, and a pattern that matches
// a parent directory matches everything under it.
import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { KloopError } from '../errors.ts';

export interface IgnorePattern {
  /** the cleaned pattern without "!" */
  readonly pattern: string;
  readonly exception: boolean;
  match(path: string): boolean;
}

/** Go's filepath.Clean for slash paths: collapses "//", ".", ".." and a trailing "/". */
function cleanPath(p: string): string {
  if (p === '') return '.';
  const cleaned = posix.normalize(p);
  if (cleaned === '/' || cleaned === '.') return cleaned;
  const trimmed = cleaned.endsWith('/') ? cleaned.slice(0, -1) : cleaned;
  return trimmed.startsWith('./') ? trimmed.slice(2) : trimmed;
}

/** The pattern lines of a .dockerignore file, normalised the way Docker's reader does. */
export function parseDockerignore(text: string): string[] {
  const out: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (const raw of lines) {
    if (raw.startsWith('#')) continue;
    let line = raw.trim();
    if (line === '') continue;
    const exception = line.startsWith('!');
    if (exception) line = line.slice(1).trim();
    if (line.length > 0) {
      line = cleanPath(line);
      if (line.length > 1 && line.startsWith('/')) line = line.slice(1);
    }
    out.push(exception ? `!${line}` : line);
  }
  return out;
}

// the characters Docker escapes; everything else (including "^") reaches the regexp as it is
const regexSpecial = new Set(['.', '+', '(', ')', '|', '{', '}', '$']);

type MatchType = 'exact' | 'prefix' | 'suffix' | 'regexp';

/** Compiles one cleaned pattern the way Docker's pattern matcher does, including its shortcuts. */
function compile(pattern: string): (path: string) => boolean {
  let re = '^';
  let type: MatchType = 'exact';
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] as string;
    if (ch === '*') {
      if (chars[i + 1] === '*') {
        const start = i;
        i++;
        if (chars[i + 1] === '/') i++;
        if (i + 1 >= chars.length) {
          if (type === 'exact') type = 'prefix';
          else {
            re += '.*';
            type = 'regexp';
          }
        } else {
          re += '(.*/)?';
          type = 'regexp';
        }
        if (start === 0) type = 'suffix';
      } else {
        re += '[^/]*';
        type = 'regexp';
      }
    } else if (ch === '?') {
      re += '[^/]';
      type = 'regexp';
    } else if (regexSpecial.has(ch)) {
      re += `\\${ch}`;
    } else if (ch === '\\') {
      // an escaped character makes Docker compare by regexp (observed with docker CLI 28)
      type = 'regexp';
      if (i + 1 < chars.length) {
        const next = chars[++i] as string;
        re += /[A-Za-z0-9]/.test(next) ? next : `\\${next}`;
      } else re += '\\\\';
    } else if (ch === '[' || ch === ']') {
      re += ch;
      type = 'regexp';
    } else {
      re += ch;
    }
  }
  if (type === 'exact') return (p) => p === pattern;
  if (type === 'prefix') {
    const prefix = pattern.slice(0, -2);
    return (p) => p.startsWith(prefix);
  }
  if (type === 'suffix') {
    const suffix = pattern.slice(2);
    return (p) => p.endsWith(suffix) || (suffix.startsWith('/') && p === suffix.slice(1));
  }
  const source = `${re}$`;
  let regex: RegExp;
  try {
    regex = new RegExp(source, 'u');
  } catch {
    throw new Error(`syntax error in pattern "${pattern}"`);
  }
  return (p) => regex.test(p);
}

/** Compiles .dockerignore lines (as parseDockerignore returns them) into matchers. */
export function compilePatterns(lines: readonly string[]): IgnorePattern[] {
  const out: IgnorePattern[] = [];
  for (const line of lines) {
    let pattern = line.trim();
    if (pattern === '') continue;
    pattern = cleanPath(pattern);
    const exception = pattern.startsWith('!');
    if (exception) {
      if (pattern.length === 1) throw new Error('illegal exclusion pattern: "!"');
      pattern = pattern.slice(1);
    }
    out.push({ pattern, exception, match: compile(pattern) });
  }
  return out;
}

/** Which walker sends the context: they agree on matching but not on which excluded directories they enter. */
export type WalkMode = 'classic' | 'buildkit';

/** Per-pattern results for a directory, handed to its children (Docker's MatchInfo). */
export type ParentMatches = readonly boolean[];

const wildcard = /[*?[\\]/;

/**
 * A compiled .dockerignore. Matching follows Docker's walk: a path's result starts from what each
 * pattern did for its parent directory, patterns are applied in order, and a pattern is only
 * evaluated when it could flip the current result (an exclusion while included, an exception while
 * excluded), so the last pattern that applies wins.
 */
export class DockerIgnore {
  readonly patterns: readonly IgnorePattern[];
  readonly hasExceptions: boolean;
  /** the file the patterns came from, if any */
  readonly file?: string;
  readonly mode: WalkMode;

  constructor(lines: readonly string[], file?: string, mode: WalkMode = 'classic') {
    this.patterns = compilePatterns(lines);
    this.hasExceptions = this.patterns.some((p) => p.exception);
    this.file = file;
    this.mode = mode;
  }

  /** The result for `path` given its parent directory's matches (undefined for a top-level path). */
  match(path: string, parent?: ParentMatches): { excluded: boolean; matches: boolean[] } {
    let excluded = false;
    const matches = new Array<boolean>(this.patterns.length).fill(false);
    this.patterns.forEach((p, i) => {
      let hit = parent?.[i] ?? false;
      if (!hit) {
        if (p.exception !== excluded) return;
        hit = p.match(path);
      }
      matches[i] = hit;
      if (hit) excluded = !p.exception;
    });
    return { excluded, matches };
  }

  /** Whether `path` is left out of the context, evaluated down from its top-level directory as a walk does. */
  excludes(path: string): boolean {
    let parent: ParentMatches | undefined;
    let result = false;
    for (let i = path.indexOf('/'); ; i = path.indexOf('/', i + 1)) {
      const r = this.match(i < 0 ? path : path.slice(0, i), parent);
      parent = r.matches;
      result = r.excluded;
      if (i < 0) return result;
    }
  }

  /**
   * Whether the walk enters an excluded directory to look for re-included paths. Docker's classic
   * sender only does when an exception pattern starts with the directory's path ("!dir/keep" for
   * "dir"); BuildKit's does whenever an exception has a wildcard.
   */
  mayIncludeBelow(dir: string): boolean {
    if (!this.hasExceptions) return false;
    const prefix = `${dir}/`;
    return this.patterns.some(
      (p) =>
        p.exception && (`${p.pattern}/`.startsWith(prefix) || (this.mode === 'buildkit' && wildcard.test(p.pattern))),
    );
  }
}

/**
 * The ignore file a build of `dockerfile` in `context` uses. BuildKit prefers
 * `<Dockerfile>.dockerignore` next to the Dockerfile; buildah and podman prefer `.containerignore`;
 * otherwise (and always for Docker's classic builder) `<context>/.dockerignore`.
 */
export function ignoreFileFor(
  context: string,
  dockerfile: string,
  builder: 'buildkit' | 'classic' | 'oci' = 'buildkit',
): string | undefined {
  const candidates = [posix.join(context, '.dockerignore')];
  if (builder === 'buildkit') candidates.unshift(`${dockerfile}.dockerignore`);
  if (builder === 'oci') candidates.unshift(`${dockerfile}.containerignore`, posix.join(context, '.containerignore'));
  return candidates.find((f) => existsSync(f));
}

/**
 * Reads an ignore file. `keep` are context paths the build always sends (the Dockerfile and
 * .dockerignore): added as exceptions at the end, as the docker CLI does.
 */
export function loadDockerignore(
  file: string | undefined,
  mode: WalkMode = 'classic',
  keep: readonly string[] = [],
): DockerIgnore {
  const text = file ? readFileSync(file, 'utf8') : '';
  try {
    return new DockerIgnore([...parseDockerignore(text), ...keep.map((k) => `!${k}`)], file, mode);
  } catch (e) {
    throw new KloopError(`${file ?? '.dockerignore'}: ${(e as Error).message}`, {
      ...(file ? { location: { file } } : {}),
      hint: 'fix the pattern; .dockerignore uses Go filepath.Match syntax with ** for any directories',
    });
  }
}

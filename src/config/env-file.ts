// .env files are parsed, never executed: `KEY=value` lines, an optional `export ` prefix,
// `#` comments, 'single' quotes (literal), "double" quotes (\n \t \" \\ escapes, may span lines).
// Nothing is expanded: `$(cmd)` and `${VAR}` stay as written.
import { readFileSync } from 'node:fs';
import { KloopError } from '../errors.ts';

export interface EnvEntry {
  value: string;
  line: number;
}

const KEY = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*/;

function unescapeDouble(s: string): string {
  return s.replace(/\\([nrt"\\$])/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c === 't' ? '\t' : c));
}

/** Parses the text of an env file; `file` is used in error locations. */
export function parseEnvFile(text: string, file: string): Map<string, EnvEntry> {
  const entries = new Map<string, EnvEntry>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i] ?? '';
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const m = KEY.exec(trimmed);
    if (!m) {
      throw new KloopError(`cannot read this line: expected KEY=value`, {
        location: { file, line: lineNo, column: raw.length - raw.trimStart().length + 1 },
        hint: 'lines are KEY=value, optionally prefixed with "export "; comments start with #',
      });
    }
    const key = m[1] as string;
    let rest = trimmed.slice(m[0].length);
    let value: string;
    const quote = rest[0];
    if (quote === '"' || quote === "'") {
      // find the closing quote, possibly on a later line (double quotes only)
      let body = rest.slice(1);
      let end = findClose(body, quote);
      while (end < 0 && quote === '"' && i + 1 < lines.length) {
        i++;
        body += `\n${lines[i]}`;
        end = findClose(body, quote);
      }
      if (end < 0) {
        throw new KloopError(`${key}: the ${quote === '"' ? 'double' : 'single'} quote is never closed`, {
          location: { file, line: lineNo },
          hint: `close the value with ${quote}`,
        });
      }
      const inner = body.slice(0, end);
      value = quote === '"' ? unescapeDouble(inner) : inner;
      rest = body.slice(end + 1).trim();
      if (rest !== '' && !rest.startsWith('#')) {
        throw new KloopError(`${key}: unexpected text after the closing quote: ${rest}`, {
          location: { file, line: i + 1 },
          hint: 'put comments after a space and #',
        });
      }
    } else {
      // unquoted: an inline comment starts at whitespace + #
      const comment = rest.search(/\s#/);
      value = (comment >= 0 ? rest.slice(0, comment) : rest).trim();
    }
    entries.set(key, { value, line: lineNo });
  }
  return entries;
}

function findClose(body: string, quote: string): number {
  for (let j = 0; j < body.length; j++) {
    if (quote === '"' && body[j] === '\\') {
      j++;
      continue;
    }
    if (body[j] === quote) return j;
  }
  return -1;
}

/** Reads and parses an env file; undefined when it does not exist. */
export function readEnvFile(path: string, displayName = path): Map<string, EnvEntry> | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new KloopError(`cannot read env file ${displayName}: ${(error as Error).message}`, { cause: error });
  }
  return parseEnvFile(text, displayName);
}

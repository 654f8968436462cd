// The one redaction point: secret variable values are registered when the project is resolved,
// and every path that prints (logger, error printer, JSON output) passes text through redact().
const secrets = new Set<string>();
let pattern: RegExp | undefined;

export const REDACTED = '******';

export function registerSecret(value: string): void {
  // Very short values would redact ordinary text everywhere; they are still never printed by print.
  if (value.length < 3 || secrets.has(value)) return;
  secrets.add(value);
  const escaped = [...secrets].sort((a, b) => b.length - a.length).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  pattern = new RegExp(escaped.join('|'), 'g');
}

export function redact(text: string): string {
  return pattern ? text.replace(pattern, REDACTED) : text;
}

/** Deep-redacts string values of a JSON-like value. */
export function redactValue<T>(value: T): T {
  if (!pattern) return value;
  return JSON.parse(redact(JSON.stringify(value))) as T;
}

/** For tests only. */
export function clearSecrets(): void {
  secrets.clear();
  pattern = undefined;
}

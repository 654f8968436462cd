// Five-field cron schedules (minute hour day-of-month month day-of-week) and the @ macros.
const macros: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

function field(text: string, min: number, max: number): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText ? Number(stepText) : 1;
    let lo = min;
    let hi = max;
    if (range !== '*' && range !== '?') {
      const [a, b] = range!.split('-');
      lo = Number(a);
      hi = b !== undefined ? Number(b) : stepText ? max : lo;
    }
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || step <= 0) throw new Error(`invalid cron field ${text}`);
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

export function parseCron(schedule: string): (date: Date) => boolean {
  const fields = (macros[schedule.trim()] ?? schedule).trim().split(/\s+/);
  if (fields.length !== 5) throw new Error(`invalid schedule ${schedule}`);
  const [m, h, dom, mon, dow] = fields as [string, string, string, string, string];
  const minutes = field(m, 0, 59);
  const hours = field(h, 0, 23);
  const days = field(dom, 1, 31);
  const months = field(mon, 1, 12);
  const weekdays = field(dow.replace('7', '0'), 0, 6);
  return (d) =>
    minutes.has(d.getUTCMinutes()) &&
    hours.has(d.getUTCHours()) &&
    days.has(d.getUTCDate()) &&
    months.has(d.getUTCMonth() + 1) &&
    weekdays.has(d.getUTCDay());
}

/** The latest scheduled minute in (after, until], or undefined; looks back at most a day. */
export function lastScheduleBefore(schedule: string, after: number, until: number): number | undefined {
  let matches: (d: Date) => boolean;
  try {
    matches = parseCron(schedule);
  } catch {
    return undefined;
  }
  const start = Math.max(after, until - 24 * 3600_000);
  for (let t = Math.floor(until / 60000) * 60000; t > start; t -= 60000) {
    if (matches(new Date(t))) return t;
  }
  return undefined;
}

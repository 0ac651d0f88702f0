/** Structured one-line logs: a message plus key=value context a maintainer can act on. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string, ctx?: Record<string, unknown>): void;
  info(msg: string, ctx?: Record<string, unknown>): void;
  warn(msg: string, ctx?: Record<string, unknown>): void;
  error(msg: string, ctx?: Record<string, unknown>): void;
}

function format(ctx?: Record<string, unknown>): string {
  if (!ctx) return '';
  return Object.entries(ctx)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v instanceof Error ? v.message : v)}`)
    .join('');
}

const order: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** A logger writing lines at `level` (default info) and above, to stderr unless `write` is given. */
export function createLogger(opts: { level?: LogLevel; write?: (line: string) => void } = {}): Logger {
  const min = order[opts.level ?? 'info'];
  const write = opts.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const at = (level: LogLevel) => (msg: string, ctx?: Record<string, unknown>) => {
    if (order[level] >= min) write(`${new Date().toISOString()} ${level.padEnd(5)} ${msg}${format(ctx)}`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

import pino from 'pino';

/** One JSON object per line on stdout (pino): what a log shipper expects. */
export type LogFields = Record<string, unknown>;
export type RequestLog = (fields: LogFields) => void;

/**
 * Request lines as `{"level":"info","time":"<ISO 8601>","msg":"request",…}`: the level is named
 * (not pino's number) and follows the status, so a shipper can alert on `error` without a table.
 */
export function jsonLogger(write?: (line: string) => void): RequestLog {
  const logger = pino(
    { base: null, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } },
    write ? { write } : pino.destination({ dest: 1, sync: true }),
  );
  return (fields) => logger[levelOf(fields)](fields);
}

function levelOf(fields: LogFields): 'error' | 'warn' | 'info' {
  const status = typeof fields.status === 'number' ? fields.status : 0;
  return status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
}

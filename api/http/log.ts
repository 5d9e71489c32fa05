/** One JSON object per line on stdout: what a log shipper expects, with no logging dependency. */
export type LogFields = Record<string, unknown>;
export type RequestLog = (fields: LogFields) => void;

export function jsonLogger(write: (line: string) => void = (line) => process.stdout.write(line)): RequestLog {
  return (fields) => {
    write(`${JSON.stringify({ time: new Date().toISOString(), level: levelOf(fields), ...fields })}\n`);
  };
}

function levelOf(fields: LogFields): string {
  const status = typeof fields.status === 'number' ? fields.status : 0;
  return status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
}

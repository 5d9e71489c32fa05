import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** An error meant for the client: status, a stable machine code, a human message, and details. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** Seconds a client should wait before retrying (sent as Retry-After). */
  retryAfterS?: number;

  withRetryAfter(seconds: number): this {
    this.retryAfterS = seconds;
    return this;
  }
}

interface PgErrorLike {
  name?: string;
  code?: string;
  message: string;
  detail?: string;
  constraint_name?: string;
  table_name?: string;
  column_name?: string;
}

function isPgError(err: unknown): err is PgErrorLike {
  return typeof err === 'object' && err !== null && (err as PgErrorLike).name === 'PostgresError';
}

/**
 * Database refusals become client errors that say which rule was broken; the CHECK constraints are
 * the last line of defence, so their names must reach the user rather than a bare 500.
 */
export function fromDatabaseError(err: PgErrorLike): ApiError | null {
  const where = { table: err.table_name, constraint: err.constraint_name, column: err.column_name, detail: err.detail };
  switch (err.code) {
    case '23514': {
      const geometry = /geom/.test(err.constraint_name ?? '');
      return new ApiError(422, geometry ? 'invalid_geometry' : 'constraint_violation',
        geometry
          ? `geometry refused by the database: it is empty or not valid (e.g. self-intersecting) [${err.constraint_name}]`
          : `value refused by the database rule ${err.constraint_name ?? '(unnamed)'} on ${err.table_name ?? 'table'}`,
        where);
    }
    case '23505':
      return new ApiError(409, 'conflict', `duplicate value: ${err.detail ?? err.message}`, where);
    case '23503':
      return new ApiError(422, 'reference_not_found', `referenced row does not exist: ${err.detail ?? err.message}`, where);
    case '23502':
      return new ApiError(422, 'missing_value', `${err.column_name ?? 'a column'} must not be empty`, where);
    case '22P02':
    case '22003':
    case '22007':
    case '22008':
      return new ApiError(400, 'invalid_value', err.message, where);
    case '22021': // invalid byte sequence (e.g. a NUL character in text)
    case '22P05': // untranslatable character
    case '22001': // string too long for its column
    case '54000': // program limit exceeded (e.g. a value too big to index)
      return new ApiError(400, 'invalid_value', err.message, where);
    case '57014': // statement_timeout or a cancel: the statement was stopped, the transaction rolled back
      return new ApiError(503, 'timeout', 'the query took too long and was cancelled; try again or narrow the request', undefined);
    case '53300': // too many connections
    case '57P01': // admin shutdown (database restarting)
    case '57P02':
    case '57P03': // cannot connect now (starting up)
      return new ApiError(503, 'database_unavailable', 'the database is unavailable for the moment; try again', { code: err.code });
    case '42501':
      return new ApiError(403, 'refused', err.message, where);
    default:
      return null;
  }
}

/** postgres.js and Node codes for a connection that could not be made or was lost. */
const CONNECTION_ERRORS: ReadonlySet<string> = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED',
]);

export function errorResponse(c: Context, err: unknown, log: (e: unknown) => void = console.error): Response {
  let apiError: ApiError | null = null;
  if (err instanceof ApiError) apiError = err;
  else if (isPgError(err)) apiError = fromDatabaseError(err);
  else if (CONNECTION_ERRORS.has((err as { code?: string } | null)?.code ?? '')) {
    log(err);
    apiError = new ApiError(503, 'database_unavailable', 'the database is unavailable for the moment; try again', { code: (err as { code: string }).code });
  }
  else if (err instanceof SyntaxError) apiError = new ApiError(400, 'invalid_json', `request body is not valid JSON: ${err.message}`);
  if (!apiError) {
    log(err);
    apiError = new ApiError(500, 'internal', 'internal error; the server log has the cause');
  }
  const body: ErrorBody = { error: { code: apiError.code, message: apiError.message } };
  if (apiError.details !== undefined) body.error.details = apiError.details;
  // Overload, or a database that is busy or restarting: clients (and devices retrying) should come back later.
  if (apiError.retryAfterS !== undefined) c.header('retry-after', String(apiError.retryAfterS));
  else if (apiError.status === 503) c.header('retry-after', '5');
  return c.json(body, apiError.status);
}

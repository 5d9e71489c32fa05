import type { ImportIssue, IssueCode } from './types.ts';

/**
 * A problem with the file as a whole (format, size, encoding, CRS, options). Thrown by readers and
 * caught by runImport, which turns it into a refused report: callers only see thrown errors for
 * faults of the system (database down), never for bad input.
 */
export class ImportError extends Error {
  readonly code: IssueCode;
  readonly details: Partial<ImportIssue>;

  constructor(code: IssueCode, message: string, details: Partial<ImportIssue> = {}) {
    super(message);
    this.name = 'ImportError';
    this.code = code;
    this.details = details;
  }

  toIssue(): ImportIssue {
    return { row: null, field: null, ...this.details, code: this.code, message: this.message };
  }
}

/**
 * Collects issues with exact totals but a capped list, so a million bad GPS fixes do not produce
 * a million-line report. Tracks which records are invalid so they can be skipped.
 */
export class IssueLog {
  readonly errors: ImportIssue[] = [];
  readonly warnings: ImportIssue[] = [];
  errorCount = 0;
  warningCount = 0;
  readonly invalidRows = new Set<number>();
  readonly errorsByCode = new Map<string, number>();
  /** Free counters for file-level judgements drawn from many records (e.g. "looks projected"). */
  readonly tallies = new Map<string, number>();
  private readonly onceKeys = new Set<string>();

  constructor(private readonly maxIssues: number) {}

  error(issue: ImportIssue): void {
    this.errorCount++;
    this.errorsByCode.set(issue.code, (this.errorsByCode.get(issue.code) ?? 0) + 1);
    if (issue.row !== null) this.invalidRows.add(issue.row);
    if (this.errors.length < this.maxIssues) this.errors.push(issue);
  }

  warn(issue: ImportIssue): void {
    this.warningCount++;
    if (this.warnings.length < this.maxIssues) this.warnings.push(issue);
  }

  /** A warning reported once per key (e.g. "severity defaulted"), not once per record. */
  warnOnce(key: string, issue: ImportIssue): void {
    if (this.onceKeys.has(key)) return;
    this.onceKeys.add(key);
    this.warn(issue);
  }

  tally(key: string): void {
    this.tallies.set(key, (this.tallies.get(key) ?? 0) + 1);
  }

  hasFileErrors(): boolean {
    return this.errors.some((e) => e.row === null);
  }
}

export function fileError(code: IssueCode, message: string, field: string | null = null): ImportError {
  return new ImportError(code, message, { field });
}

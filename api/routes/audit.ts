import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { toCsv } from '../http/csv.ts';
import { Resource } from '../http/resource.ts';
import { invalidInputResponse } from './respond.ts';

const MAX_ROWS = 10_000;
const query = z.object({
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  actor: z.string().max(64).optional(),
  action: z.string().max(64).optional(),
  limit: z.coerce.number().int().positive().optional(),
  format: z.enum(['json', 'csv']).default('json'),
}).strict();

const COLUMNS = ['id', 'at', 'actor', 'action', 'target_type', 'target_id', 'reason', 'client_ip', 'details'];

export function auditResource(deps: Deps): Resource {
  return new Resource('/api/audit', 'auth', deps.guard).route(
    {
      method: 'get', path: '/', summary: '审计日志（可导出CSV）/ the audit log, filterable, exportable as CSV',
      access: { kind: 'session', roles: ['command'] }, query,
      responses: { 200: { description: 'entries (JSON or CSV)' }, 400: invalidInputResponse },
    },
    async (c, { query: q }, db) => {
      const limit = Math.min(q.limit ?? 500, MAX_ROWS);
      const rows = await deps.queries.run(db, 'audit_log_list', [q.from ?? null, q.to ?? null, q.actor ?? null, q.action ?? null, limit]);
      if (q.format === 'csv') {
        return c.body(toCsv(COLUMNS, rows), 200, {
          'content-type': 'text/csv; charset=utf-8',
          'content-disposition': `attachment; filename="audit-log.csv"`,
        });
      }
      return c.json({ entries: rows, limit });
    },
  );
}

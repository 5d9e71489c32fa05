import type { Context } from 'hono';
import { z } from 'zod';
import { CASE_ROLES, isAggregateOnly, type Access } from '../auth/types.ts';
import type { Deps } from '../deps.ts';
import { fillPendingCells } from '../analytics/cells.ts';
import { refreshKpi } from '../patrol/derived.ts';
import { toCsv } from '../http/csv.ts';
import { XLSX_CONTENT_TYPE, xlsxWorkbook } from '../http/xlsx.ts';
import { zhCN } from '../../web/lib/i18n/zh-CN.ts';
import type { AppEnv } from '../http/env.ts';
import { Resource } from '../http/resource.ts';
import { dailyReport, monthlyReport, REPORT_TABLES, resolveScope, todayLocal, weeklyReport, type ReportKind } from '../reports/reports.ts';
import { invalidInputResponse, notFoundResponse } from './respond.ts';

function isCalendarDate(s: string): boolean {
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

const reportQuery = (kind: ReportKind) =>
  z
    .object({
      date: z
        .string()
        .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
        .refine(isCalendarDate, 'must be a calendar date YYYY-MM-DD (a local day in the configured time zone)')
        .optional()
        .describe('the report day (default today, local time); daily: the meeting day (events of the day before); weekly: last day of the week; monthly: any day of the month'),
      community_id: z.coerce.number().int().positive().max(2_147_483_647).optional().describe('one community (default: the whole sub-district, as far as the caller sees it)'),
      format: z.enum(['json', 'csv', 'xlsx']).optional().describe('csv: one table of the report, UTF-8 with BOM; xlsx: every table of the report as one workbook, a sheet per table'),
      table: z.enum(Object.keys(REPORT_TABLES[kind]) as [string, ...string[]]).optional().describe('which table to export as CSV (default: the first)'),
    })
    .strict();

// 日见面 names events and support requests (free text): people who work cases. 周研判 is counts,
// hotspots and codes: analysts too. 月讲评 is KPIs only: every role, the wall screen included.
const DAILY: Access = { kind: 'session', roles: CASE_ROLES };
const WEEKLY: Access = { kind: 'session', roles: [...CASE_ROLES, 'analyst'] };
const MONTHLY: Access = { kind: 'session', roles: 'any' };

const reportBody = z
  .object({
    kind: z.enum(['daily', 'weekly', 'monthly']),
    date: z.string(),
    scope: z.object({ subdistrict: z.object({ id: z.number(), name: z.string() }).nullable(), community: z.object({ id: z.number(), name: z.string() }).nullable() }),
    period: z.record(z.string(), z.unknown()),
    summary: z.unknown(),
    tables: z.record(z.string(), z.array(z.record(z.string(), z.unknown()))),
  })
  .loose();

const TITLES: Record<ReportKind, string> = { daily: '日见面', weekly: '周研判', monthly: '月讲评' };
/** Report times are read in the sub-district's local time (the console's). */
const REPORT_TIME_ZONE = 'Asia/Shanghai';
// The workbook speaks like the report page: the same Chinese table titles, headers and value labels.
const XLSX_LABELS = { type: zhCN.eventType, subtype: zhCN.eventSubtype, state: zhCN.eventState, pattern: zhCN.incident.pattern };

/** Every table of a report, in REPORT_TABLES order, as an XLSX workbook. */
export function reportWorkbook(kind: ReportKind, tables: Record<string, Record<string, unknown>[]>): Uint8Array {
  return xlsxWorkbook(Object.entries(REPORT_TABLES[kind]).map(([table, columns]) => ({
    name: zhCN.reports.tables[table] ?? table,
    columns: columns.map((key) => ({ key, label: zhCN.reports.columns[key] ?? key })),
    rows: tables[table] ?? [],
    labels: XLSX_LABELS,
  })), REPORT_TIME_ZONE);
}

export function reportsResource(deps: Pick<Deps, 'sql' | 'queries' | 'guard'>): Resource {
  const { sql, queries } = deps;

  function respond(c: Context<AppEnv>, kind: ReportKind, query: { format?: string | undefined; table?: string | undefined }, report: { date: string; tables: Record<string, Record<string, unknown>[]> }, scope: Awaited<ReturnType<typeof resolveScope>>) {
    const { gridIds: _g, ...scopeJson } = scope;
    const name = `${TITLES[kind]}-${report.date}${scope.community ? `-${scope.community.name}` : ''}`;
    if (query.format === 'xlsx') {
      return c.body(reportWorkbook(kind, report.tables) as Uint8Array<ArrayBuffer>, 200, {
        'content-type': XLSX_CONTENT_TYPE,
        'content-disposition': `attachment; filename="report-${kind}-${report.date}.xlsx"; filename*=UTF-8''${encodeURIComponent(`${name}.xlsx`)}`,
      });
    }
    if (query.format !== 'csv') return c.json({ ...report, scope: scopeJson });
    const table = query.table ?? Object.keys(REPORT_TABLES[kind])[0]!;
    const columns = REPORT_TABLES[kind][table]!;
    const file = `${name}-${table}.csv`;
    return c.body(toCsv(columns, report.tables[table] ?? []), 200, {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="report-${kind}-${report.date}-${table}.csv"; filename*=UTF-8''${encodeURIComponent(file)}`,
    });
  }

  const responses = {
    200: { description: 'the report: period, summary and tables (or one table as CSV with format=csv, or every table as an XLSX workbook with format=xlsx)', schema: reportBody },
    400: invalidInputResponse,
    404: notFoundResponse,
    422: { description: 'the month ends before the kept visit history (window_before_history)' },
  };

  return new Resource('/api/reports', 'reports', deps.guard)
    .route(
      { method: 'get', path: '/daily', summary: '日见面 / daily meeting brief: yesterday’s events by grid and type, overdue items, support requests and response times, today’s published patrol plans', access: DAILY, prepare: () => refreshKpi(sql), query: reportQuery('daily'), responses },
      async (c, { query }, db) => {
        const scope = await resolveScope(db, query.community_id);
        const date = query.date ?? (await todayLocal(db));
        return respond(c, 'daily', query, await dailyReport(c.get('owner'), queries, scope, date), scope);
      },
    )
    .route(
      { method: 'get', path: '/weekly', summary: '周研判 / weekly analysis: hotspots and emerging hotspots, dispute trends by subtype and community, risk list (open hazards, persons due for visits as counts)', access: WEEKLY, prepare: () => refreshKpi(sql).then(() => fillPendingCells(sql, queries)).then(() => undefined), query: reportQuery('weekly'), responses },
      async (c, { query }, db) => {
        const scope = await resolveScope(db, query.community_id);
        const date = query.date ?? (await todayLocal(db));
        const auth = c.get('auth');
        const aggregateOnly = auth?.kind === 'user' && isAggregateOnly(auth.user.roles);
        return respond(c, 'weekly', query, await weeklyReport(c.get('owner'), queries, db, scope, date, aggregateOnly ? { suppressUnder: 3 } : null), scope);
      },
    )
    .route(
      { method: 'get', path: '/monthly', summary: '月讲评 / monthly review: KPIs per community and grid against the 100 % targets, ranking and month-on-month change', access: MONTHLY, prepare: () => refreshKpi(sql), query: reportQuery('monthly'), responses },
      async (c, { query }, db) => {
        const scope = await resolveScope(db, query.community_id);
        const date = query.date ?? (await todayLocal(db));
        return respond(c, 'monthly', query, await monthlyReport(c.get('owner'), queries, scope, date), scope);
      },
    );
}

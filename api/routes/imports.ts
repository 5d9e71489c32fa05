import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { CASE_ROLES, isAggregateOnly, type Role } from '../auth/types.ts';
import { ApiError } from '../http/errors.ts';
import { Resource, STATEMENT_TIMEOUT_MS } from '../http/resource.ts';
import { EXPORT_FORMATS, EXPORT_KINDS, runExport } from '../../geodata/export/index.ts';
import { refreshKpi } from '../patrol/derived.ts';
import { gridKpiLookup } from '../patrol/kpi.ts';
import { IMPORT_KINDS, profileSchema, runImport } from '../../geodata/import/index.ts';

/** Uploads bigger than this are refused before their body is read. */
export const MAX_UPLOAD_BYTES = 100 * 1024 * 1024;

// Limits stay the server's: an upload may tighten them, never raise them.
const uploadOptions = profileSchema.omit({ kind: true, actor: true, maxBytes: true, maxUncompressedBytes: true, maxZipEntries: true, maxRecords: true });

/** Kinds whose files carry identities (names, ID numbers, phones) or who-visited-whom. */
const PERSONAL_KINDS: ReadonlySet<string> = new Set(['persons', 'visits']);

/**
 * The console's upload of boundaries, grids, points, addresses, persons of concern, events, visits
 * and GPS logs, and exports. Importing rewrites jurisdiction data for everyone, so it is for the
 * command centre; the import itself runs as the table owner in one transaction (all or nothing)
 * and is audited. Reports of person imports never echo ID numbers or phones (the importer masks them).
 */
export function importsResource(deps: Deps): Resource {
  return new Resource('/api/imports', 'imports', deps.guard).route(
    {
      method: 'post', path: '/:kind', summary: '数据导入（multipart: file, options）/ import a file (multipart form: file, options JSON)',
      // The import runs in the importer's own transaction as the owner (all or nothing), which gets
      // this class's statement_timeout; the request holds no transaction of its own meanwhile.
      access: { kind: 'session', roles: ['command'], ownTransaction: true },
      timeout: 'import',
      params: z.object({ kind: z.enum(IMPORT_KINDS) }),
      responses: {
        200: { description: 'the import report (ok: true)' },
        400: { description: 'no file, bad options' },
        413: { description: 'file too large' },
        422: { description: 'refused; details is the report with per-row errors' },
      },
    },
    async (c, { params }) => {
      const auth = c.get('auth');
      // Already implied by the route's access; stated again so that widening the route for
      // jurisdiction layers can never open the import of identities to other roles.
      if (PERSONAL_KINDS.has(params.kind) && !(auth?.kind === 'user' && auth.user.roles.includes('command'))) {
        throw new ApiError(403, 'forbidden', '仅指挥中心可导入人员与走访数据 / only the command centre may import persons and visits');
      }
      const length = Number(c.req.header('content-length') ?? '0');
      if (length > MAX_UPLOAD_BYTES) throw new ApiError(413, 'body_too_large', `uploads are limited to ${MAX_UPLOAD_BYTES} bytes`);
      if (!(c.req.header('content-type') ?? '').startsWith('multipart/form-data')) {
        throw new ApiError(415, 'unsupported_media_type', 'send multipart/form-data with a "file" field (and optional "options" JSON)');
      }
      const form = await c.req.parseBody();
      const file = form.file;
      if (!(file instanceof File)) throw new ApiError(400, 'invalid_input', 'the form has no "file" field', { field: 'file' });
      if (file.size > MAX_UPLOAD_BYTES) throw new ApiError(413, 'body_too_large', `uploads are limited to ${MAX_UPLOAD_BYTES} bytes`);
      let options = {};
      if (typeof form.options === 'string' && form.options.trim()) {
        let json: unknown;
        try {
          json = JSON.parse(form.options);
        } catch (err) {
          throw new ApiError(400, 'invalid_json', `options is not valid JSON: ${(err as Error).message}`, { field: 'options' });
        }
        const parsed = uploadOptions.safeParse(json);
        if (!parsed.success) {
          throw new ApiError(400, 'invalid_input', `invalid options: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`, { field: 'options' });
        }
        options = parsed.data;
      }
      const actor = auth?.kind === 'user' ? auth.user.username : 'unknown';
      const report = await runImport(deps.sql, {
        kind: params.kind, input: { fileName: file.name, bytes: new Uint8Array(await file.arrayBuffer()) }, options: { ...options, actor },
        statementTimeoutMs: STATEMENT_TIMEOUT_MS.import,
      });
      if (!report.ok) {
        const first = report.errors[0];
        throw new ApiError(422, 'import_refused',
          `导入被拒绝：${report.errorCount} 处错误${first ? `（第 ${first.row ?? '-'} 条 ${first.field ?? ''}：${first.message}）` : ''} / import refused, nothing written`, report);
      }
      return c.json(report);
    },
  );
}

/** Who may export: everyone who works cases (their jurisdiction's rows) and analysts (no personal columns). */
export const EXPORT_ROLES: readonly Role[] = [...CASE_ROLES, 'analyst'];

/**
 * Exports run in the caller's scoped transaction: row-level security limits the rows to the
 * caller's jurisdiction (a grid worker gets their grid), and aggregate-only roles (analysts) get
 * no personal columns: address text and event titles are left out, as their database role has no
 * privilege on them. Every export is written to the audit log.
 */
export function exportsResource(deps: Deps): Resource {
  return new Resource('/api/exports', 'imports', deps.guard).route(
    {
      method: 'get', path: '/:kind', summary: '数据导出（GeoJSON、CSV、Shapefile），限本人辖区 / export grids, addresses or events of your jurisdiction',
      access: { kind: 'session', roles: EXPORT_ROLES },
      timeout: 'analytics',
      prepare: () => refreshKpi(deps.sql),
      params: z.object({ kind: z.enum(EXPORT_KINDS) }),
      query: z.object({ format: z.enum(EXPORT_FORMATS).default('geojson') }).strict(),
      responses: { 200: { description: 'the file' }, 400: { description: 'bad kind or format' } },
    },
    async (c, { params, query }, db) => {
      const auth = c.get('auth');
      const user = auth?.kind === 'user' ? auth.user : null;
      const personal = user !== null && !isAggregateOnly(user.roles);
      const owner = c.get('owner');
      const out = await runExport(db, params.kind, query.format, { personal, gridKpis: gridKpiLookup(owner, deps.queries) });
      // The scoped role may not write the audit log; the owner records who took what.
      await owner((tx) => tx`
        INSERT INTO audit_log (actor, action, target_type, target_id, client_ip, details)
        VALUES (${user?.username ?? 'unknown'}, 'export', ${params.kind}, ${out.fileName}, ${c.get('clientIp') ?? null},
                ${JSON.stringify({ format: query.format, rows: out.count, personal })}::text::jsonb)`);
      return c.body(out.bytes as Uint8Array<ArrayBuffer>, 200, {
        'content-type': out.contentType,
        'content-disposition': `attachment; filename="${out.fileName}"`,
      });
    },
  );
}

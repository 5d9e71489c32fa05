import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { Resource } from '../http/resource.ts';
import { EXPORT_FORMATS, EXPORT_KINDS, runExport } from '../../geodata/export/index.ts';
import { IMPORT_KINDS, profileSchema, runImport } from '../../geodata/import/index.ts';

/** Uploads bigger than this are refused before their body is read. */
export const MAX_UPLOAD_BYTES = 100 * 1024 * 1024;

// Limits stay the server's: an upload may tighten them, never raise them.
const uploadOptions = profileSchema.omit({ kind: true, actor: true, maxBytes: true, maxUncompressedBytes: true, maxZipEntries: true, maxRecords: true });

/**
 * The console's upload of boundaries, grids, points, addresses, events and GPS logs, and exports.
 * Importing rewrites jurisdiction data for everyone, so it is for the command centre; the import
 * itself runs as the table owner in one transaction (all or nothing) and is audited.
 */
export function importsResource(deps: Deps): Resource {
  return new Resource('/api/imports', 'imports', deps.guard).route(
    {
      method: 'post', path: '/:kind', summary: '数据导入（multipart: file, options）/ import a file (multipart form: file, options JSON)',
      access: { kind: 'session', roles: ['command'] },
      params: z.object({ kind: z.enum(IMPORT_KINDS) }),
      responses: {
        200: { description: 'the import report (ok: true)' },
        400: { description: 'no file, bad options' },
        413: { description: 'file too large' },
        422: { description: 'refused; details is the report with per-row errors' },
      },
    },
    async (c, { params }) => {
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
      const auth = c.get('auth');
      const actor = auth?.kind === 'user' ? auth.user.username : 'unknown';
      const report = await runImport(deps.sql, { kind: params.kind, input: { fileName: file.name, bytes: new Uint8Array(await file.arrayBuffer()) }, options: { ...options, actor } });
      if (!report.ok) {
        const first = report.errors[0];
        throw new ApiError(422, 'import_refused',
          `导入被拒绝：${report.errorCount} 处错误${first ? `（第 ${first.row ?? '-'} 条 ${first.field ?? ''}：${first.message}）` : ''} / import refused, nothing written`, report);
      }
      return c.json(report);
    },
  );
}

export function exportsResource(deps: Deps): Resource {
  return new Resource('/api/exports', 'imports', deps.guard).route(
    {
      method: 'get', path: '/:kind', summary: '数据导出（GeoJSON、CSV、Shapefile）/ export grids, addresses or events',
      // Exports read as the owner, so only the role that sees everything may take them.
      access: { kind: 'session', roles: ['command'] },
      params: z.object({ kind: z.enum(EXPORT_KINDS) }),
      query: z.object({ format: z.enum(EXPORT_FORMATS).default('geojson') }).strict(),
      responses: { 200: { description: 'the file' }, 400: { description: 'bad kind or format' } },
    },
    async (c, { params, query }) => {
      const out = await runExport(deps.sql, params.kind, query.format);
      return c.body(out.bytes as Uint8Array<ArrayBuffer>, 200, {
        'content-type': out.contentType,
        'content-disposition': `attachment; filename="${out.fileName}"`,
      });
    },
  );
}

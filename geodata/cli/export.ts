#!/usr/bin/env tsx
/**
 * Exports a layer from the database named by DATABASE_URL.
 *
 *   tsx geodata/cli/export.ts <grids|addresses|events> <geojson|csv|shapefile> <outfile>
 */
import { writeFileSync } from 'node:fs';
import { createSql } from '../../api/db/connect.ts';
import { QueryCatalog } from '../../api/db/queries.ts';
import { refreshKpi } from '../../api/patrol/derived.ts';
import { gridKpiLookup } from '../../api/patrol/kpi.ts';
import { ownerOf } from '../../api/db/owner.ts';
import { EXPORT_FORMATS, EXPORT_KINDS, runExport, type ExportFormat, type ExportKind } from '../export/index.ts';

const USAGE = `usage: export <${EXPORT_KINDS.join('|')}> <${EXPORT_FORMATS.join('|')}> <outfile>
env: DATABASE_URL`;

async function main(): Promise<void> {
  const [kind, format, out, ...rest] = process.argv.slice(2);
  if (!kind || !format || !out || rest.length > 0) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  }
  if (!(EXPORT_KINDS as readonly string[]).includes(kind) || !(EXPORT_FORMATS as readonly string[]).includes(format)) {
    process.stderr.write(`unknown kind or format\n${USAGE}\n`);
    process.exit(2);
  }
  const url = process.env.DATABASE_URL;
  if (!url) {
    process.stderr.write(`DATABASE_URL is not set\n${USAGE}\n`);
    process.exit(2);
  }
  const sql = createSql(url, 2);
  try {
    if (kind === 'grids') await refreshKpi(sql);
    const r = await runExport(sql, kind as ExportKind, format as ExportFormat, { gridKpis: gridKpiLookup(ownerOf(sql), new QueryCatalog()) });
    writeFileSync(out, r.bytes);
    process.stderr.write(`wrote ${r.count} ${kind} to ${out} (${r.bytes.length} bytes, ${r.contentType})\n`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`export failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

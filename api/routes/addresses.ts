import { z } from 'zod';
import type { QueryCatalog } from '../db/queries.ts';
import type { Db } from '../db/types.ts';
import type { Deps } from '../deps.ts';
import { bboxParam, idParam } from '../http/geo.ts';
import { ApiError } from '../http/errors.ts';
import { Resource } from '../http/resource.ts';
import { CASE_ROLES } from '../auth/types.ts';
import { invalidInputResponse, notFoundResponse } from './respond.ts';

/** Server-side cap: a client cannot ask the database for an unbounded number of rows. */
export const MAX_ADDRESSES_PER_REQUEST = 5000;
/** Address search feeds a pick list; more than this is a query to narrow down, not a list to read. */
export const MAX_ADDRESS_MATCHES = 20;

const searchQuery = z
  .object({
    q: z.string().trim().min(1).max(64),
    limit: z.coerce.number().int().positive().optional(),
  })
  .strict();

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const escapeLike = (s: string) => s.replace(/[\\%_]/g, '\\$&');

/**
 * Search terms of an address query. Full-width digits and letters become ASCII (NFKC), the text is
 * split at spaces and punctuation, and again where a number starts, so "东风3组12号" finds
 * "院岭街道东风社区3组12号" (the terms 东风, 3组 and 12号 in that order or any other). Each term becomes a
 * regular expression matching it literally; one that starts with a digit may not follow a digit.
 */
export function addressSearchTerms(q: string): { patterns: string[]; anchor: string; whole: string; codePrefix: string } {
  const text = q.normalize('NFKC').trim();
  const chunks = text.split(/[\s,，、;；。.·\-—/()（）]+/u).filter(Boolean);
  const terms = chunks.flatMap((c) => c.split(/(?<=\D)(?=\d)/u)).filter(Boolean).slice(0, 8);
  const patterns = terms.map((t) => (/^\d/.test(t) ? `(^|[^0-9])${escapeRegex(t)}` : escapeRegex(t)));
  // The longest term has the most trigrams, so the index narrows the most on it.
  const longest = terms.reduce((a, t) => (t.length > a.length ? t : a), '');
  return { patterns, anchor: `%${escapeLike(longest)}%`, whole: text.replace(/\s+/g, ''), codePrefix: `${escapeLike(text)}%` };
}

/** Rows of the one address query (sql/queries/address_search.sql) both search routes use. */
export async function searchAddresses(db: Db, queries: QueryCatalog, q: string, rowLimit: number): Promise<AddressMatch[]> {
  const terms = addressSearchTerms(q);
  if (!terms.patterns.length) return [];
  return queries.run<AddressMatch>(db, 'address_search', [terms.patterns, terms.anchor, terms.codePrefix, terms.whole, rowLimit]);
}

export const ADDRESS_CATEGORIES = ['general', 'key', 'attention'] as const;

/** One category or several, comma-separated (`key,attention`: the highlighted ones). */
const categoriesParam = z.string().transform((s, ctx): string[] => {
  const parts = [...new Set(s.split(',').map((p) => p.trim()).filter(Boolean))];
  const bad = parts.find((p) => !(ADDRESS_CATEGORIES as readonly string[]).includes(p));
  if (!parts.length || bad !== undefined) {
    ctx.addIssue({ code: 'custom', message: `category must be one or more of ${ADDRESS_CATEGORIES.join(', ')}, comma-separated` });
    return z.NEVER;
  }
  return parts;
});

const listQuery = z
  .object({
    bbox: bboxParam,
    category: categoriesParam.optional(),
    format: z.enum(['geojson', 'columns']).optional(),
    limit: z.coerce.number().int().positive().optional(),
  })
  .strict();

interface AddressRow {
  id: number;
  code: string;
  address_text: string;
  category: string;
  grid_id: number | null;
  vacant: boolean;
  lon: number;
  lat: number;
}

/** One address with its 一标三实 registration (sql/queries/address_detail.sql). */
export interface AddressDetail {
  id: number;
  code: string;
  address_text: string;
  category: string;
  vacant: boolean;
  grid_id: number | null;
  grid_name: string | null;
  community_name: string | null;
  lon: number;
  lat: number;
  registered: boolean;
  missing: string[];
  building_type: string | null;
  usage: string | null;
  floors: number | null;
  rented: boolean | null;
  residents: number;
  units: number;
}

export interface AddressMatch {
  id: number;
  code: string;
  address_text: string;
  category: string;
  grid_id: number | null;
  grid_name: string | null;
  community_name: string | null;
  lon: number;
  lat: number;
}

export function addressesResource(deps: Deps): Resource {
  const { queries } = deps;
  return new Resource('/api/addresses', 'addresses', deps.guard)
    .route(
      {
        method: 'get',
        path: '/search',
        summary: '标准地址检索（输入地址上报事件）/ standard addresses matching typed text, within your jurisdiction, at most 20',
        access: { kind: 'session', roles: CASE_ROLES },
        query: searchQuery,
        responses: {
          200: {
            description: 'matches, best first, with `truncated` and `limit`',
            schema: z.object({ addresses: z.array(z.unknown()), truncated: z.boolean(), limit: z.number() }),
          },
          400: invalidInputResponse,
        },
      },
      async (c, { query }, db) => {
        const limit = Math.min(query.limit ?? MAX_ADDRESS_MATCHES, MAX_ADDRESS_MATCHES);
        const rows = await searchAddresses(db, queries, query.q, limit + 1);
        return c.json({ addresses: rows.slice(0, limit), truncated: rows.length > limit, limit });
      },
    )
    .route(
    {
      method: 'get',
      path: '/',
      summary: '标准地址（按范围、类别）/ standard addresses in a bbox, by category, capped; GeoJSON or columns (map layers)',
      access: { kind: 'session', roles: CASE_ROLES },
      query: listQuery,
      responses: {
        200: {
          description: 'GeoJSON FeatureCollection with `truncated` and `limit` members; with format=columns, one array per column (the map layer\'s binary attributes)',
          contentType: 'application/geo+json',
          schema: z.object({ type: z.literal('FeatureCollection'), truncated: z.boolean(), limit: z.number(), features: z.array(z.unknown()) }),
        },
        400: invalidInputResponse,
      },
    },
    async (c, { query }, db) => {
      const limit = Math.min(query.limit ?? MAX_ADDRESSES_PER_REQUEST, MAX_ADDRESSES_PER_REQUEST);
      const rows = await queries.run<AddressRow>(db, 'addresses_in_bbox', [...query.bbox, query.category ?? null, limit + 1]);
      const truncated = rows.length > limit;
      if (query.format === 'columns') {
        const kept = rows.slice(0, limit);
        const col = <K extends keyof AddressRow>(k: K) => kept.map((r) => r[k]);
        return c.json({
          count: kept.length, truncated, limit,
          columns: { id: col('id'), code: col('code'), address_text: col('address_text'), category: col('category'), grid_id: col('grid_id'), vacant: col('vacant'), lon: col('lon'), lat: col('lat') },
        });
      }
      const features = rows.slice(0, limit).map(({ lon, lat, ...properties }) => ({
        type: 'Feature' as const,
        geometry: { type: 'Point' as const, coordinates: [lon, lat] },
        properties,
      }));
      return c.body(JSON.stringify({ type: 'FeatureCollection', truncated, limit, features }), 200, { 'content-type': 'application/geo+json; charset=utf-8' });
    },
  )
    .route(
      {
        method: 'get',
        path: '/:id',
        summary: '标准地址详情（一标三实登记情况）/ one address: text, category, grid, 一标三实 registration (what is missing), housing, resident and unit counts',
        access: { kind: 'session', roles: CASE_ROLES },
        params: idParam,
        responses: {
          200: {
            description: 'the address; `registered` and `missing` follow the registration KPI (no_grid, outside_grid, no_housing, no_occupants)',
            schema: z.object({ id: z.number(), address_text: z.string(), category: z.string(), registered: z.boolean(), missing: z.array(z.string()) }).loose(),
          },
          404: notFoundResponse,
          400: invalidInputResponse,
        },
      },
      async (c, { params }, db) => {
        const [row] = await queries.run<AddressDetail>(db, 'address_detail', [params.id]);
        if (!row) throw new ApiError(404, 'not_found', `address ${params.id} does not exist or is outside your jurisdiction`);
        return c.json(row);
      },
    );
}

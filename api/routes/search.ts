import { z } from 'zod';
import { CASE_ROLES } from '../auth/types.ts';
import type { Deps } from '../deps.ts';
import { Resource } from '../http/resource.ts';
import { searchAddresses } from './addresses.ts';
import { invalidInputResponse } from './respond.ts';

/** Rows per kind: a search box shows a handful; `limit` may ask for more, up to the cap. */
export const DEFAULT_SEARCH_LIMIT = 8;
export const MAX_SEARCH_LIMIT = 50;
export const MAX_QUERY_LENGTH = 64;
const MAX_WORDS = 5;

export const SEARCH_KINDS = ['grid', 'community', 'address', 'key_location'] as const;
export type SearchKind = (typeof SEARCH_KINDS)[number];

const searchQuery = z
  .object({
    q: z
      .string()
      .trim()
      .min(1, 'q must not be empty')
      .max(MAX_QUERY_LENGTH, `q must be at most ${MAX_QUERY_LENGTH} characters`)
      .describe('名称、地址或编码的一部分 / part of a name, address text or code; words separated by spaces must all match'),
    limit: z.coerce.number().int().min(1).max(MAX_SEARCH_LIMIT).optional().describe(`rows per kind (default ${DEFAULT_SEARCH_LIMIT}, max ${MAX_SEARCH_LIMIT})`),
  })
  .strict();

const itemSchema = z.object({
  kind: z.enum(SEARCH_KINDS),
  id: z.number(),
  code: z.string(),
  name: z.string(),
  context: z.string().nullable(),
  category: z.string().nullable(),
  grid_id: z.number().nullable(),
  lon: z.number(),
  lat: z.number(),
  bbox: z.array(z.number()).length(4).nullable(),
});
export type SearchItem = z.infer<typeof itemSchema>;

/** Words of the query with LIKE's wildcards escaped, so "100%" searches for a percent sign. */
export function searchWords(q: string): string[] {
  return q
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, MAX_WORDS)
    .map((w) => w.replace(/[\\%_]/g, (c) => `\\${c}`));
}

export function searchResource(deps: Pick<Deps, 'queries' | 'guard'>): Resource {
  const { queries } = deps;
  return new Resource('/api/search', 'search', deps.guard).route(
    {
      method: 'get',
      path: '/',
      summary: '综合搜索 / search grids, communities, addresses and key locations by name or code',
      access: { kind: 'session', roles: 'any' },
      query: searchQuery,
      responses: {
        200: {
          description: 'results grouped by kind (grid, community, address, key_location), best first, capped per kind; '
            + 'addresses only for roles that may read them',
          schema: z.object({
            q: z.string(),
            limit: z.number(),
            groups: z.array(z.object({ kind: z.enum(SEARCH_KINDS), truncated: z.boolean(), items: z.array(itemSchema) })),
          }),
        },
        400: invalidInputResponse,
      },
    },
    async (c, { query }, db) => {
      const limit = query.limit ?? DEFAULT_SEARCH_LIMIT;
      const words = searchWords(query.q);
      const auth = c.get('auth');
      const roles = auth?.kind === 'user' ? auth.user.roles : [];
      // Address text is personal-adjacent: volunteers, analysts and screens search places only
      // (their database role could not read the column anyway).
      const mayReadAddresses = roles.some((r) => CASE_ROLES.includes(r));
      const rows = await queries.run<SearchItem>(db, 'search', [words, limit + 1]);
      const addresses = mayReadAddresses
        ? (await searchAddresses(db, queries, query.q, limit + 1)).map((a): SearchItem => ({
          kind: 'address', id: a.id, code: a.code, name: a.address_text, context: a.grid_name, category: a.category,
          grid_id: a.grid_id, lon: a.lon, lat: a.lat, bbox: null,
        }))
        : null;
      const groups = SEARCH_KINDS.flatMap((kind) => {
        if (kind === 'address' && !addresses) return [];
        const items = kind === 'address' ? addresses! : rows.filter((r) => r.kind === kind);
        return [{ kind, truncated: items.length > limit, items: items.slice(0, limit) }];
      });
      return c.json({ q: query.q, limit, groups });
    },
  );
}

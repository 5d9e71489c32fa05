import type { Sql } from 'postgres';
import type { QueryCatalog } from './db/queries.ts';

/** What every resource needs; passed in so tests build an app around their own database. */
export interface Deps {
  sql: Sql;
  queries: QueryCatalog;
  database: { kind: 'embedded' | 'external'; describe: string };
}

import { createApp, type App } from '../app.ts';
import { QueryCatalog } from '../db/queries.ts';
import type { Sql } from 'postgres';

export function testApp(sql: Sql): App {
  return createApp(
    { sql, queries: new QueryCatalog(), database: { kind: 'external', describe: 'test' } },
    // 500s are failures in these tests; keep their causes visible.
    { log: (err) => console.error('[test app] unexpected error', err) },
  );
}

export function postJson(app: App['app'], path: string, body: unknown): Response | Promise<Response> {
  return app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

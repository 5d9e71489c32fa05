import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { ParameterOrJSON, Row } from 'postgres';
import { repoPath } from '../paths.ts';
import type { Db } from './types.ts';

export interface NamedQuery {
  name: string;
  text: string;
  /** Declared in the header: `--   $1 name type`. */
  params: { index: number; name: string; type: string }[];
}

const PARAM_LINE = /^--\s+\$(\d+)\s+(\w+)\s+(.+)$/;

/**
 * Parses a query file. Its header comment must declare every `$n` the body uses, so the file
 * documents its own contract and a call with the wrong arity fails before reaching the database.
 */
export function parseQueryFile(name: string, text: string): NamedQuery {
  const params: NamedQuery['params'] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('--')) break;
    const m = PARAM_LINE.exec(line);
    if (m) params.push({ index: Number(m[1]), name: m[2]!, type: m[3]!.trim() });
  }
  const used = new Set([...text.replace(/^--.*$/gm, '').matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
  for (const i of used) {
    if (!params.some((p) => p.index === i)) throw new Error(`query ${name}: $${i} is used but not declared in the header`);
  }
  params.forEach((p, i) => {
    if (p.index !== i + 1) throw new Error(`query ${name}: parameters must be declared $1..$n in order`);
  });
  return { name, text, params };
}

export class QueryCatalog {
  private readonly queries = new Map<string, NamedQuery>();

  constructor(dir = repoPath('sql/queries')) {
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.sql'))) {
      const name = basename(file, '.sql');
      this.queries.set(name, parseQueryFile(name, readFileSync(join(dir, file), 'utf8')));
    }
  }

  get(name: string): NamedQuery {
    const q = this.queries.get(name);
    if (!q) throw new Error(`no query named "${name}" in sql/queries`);
    return q;
  }

  names(): string[] {
    return [...this.queries.keys()].sort();
  }

  /** Runs a named query with positional parameters (prepared, so plans are reused). */
  run<T extends Row = Row>(sql: Db, name: string, args: ParameterOrJSON<never>[] = []): Promise<T[]> {
    const q = this.get(name);
    if (args.length !== q.params.length) {
      throw new Error(`query ${name} takes ${q.params.length} parameters (${q.params.map((p) => p.name).join(', ')}), got ${args.length}`);
    }
    return sql.unsafe<T[]>(q.text, args, { prepare: true });
  }
}

import { ensureTemplate } from './db.ts';

// Built once before the workers start, so parallel test files do not race to migrate it.
export default async function setup(): Promise<void> {
  await ensureTemplate();
}

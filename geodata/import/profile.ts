import { z } from 'zod';
import { ImportError } from './errors.ts';
import { IMPORT_KINDS, type ImportKind, type ImportOptions } from './types.ts';

/**
 * A saved mapping profile: the same options as runImport, as JSON, so a recurring export from
 * another system (the 110 platform, a grid app) is imported the same way every week.
 */
const scalar = z.union([z.string(), z.number(), z.boolean()]);

export const profileSchema = z
  .object({
    kind: z.enum(IMPORT_KINDS).optional(),
    map: z.record(z.string(), z.string()).optional(),
    values: z.record(z.string(), z.record(z.string(), scalar)).optional(),
    defaults: z.record(z.string(), scalar).optional(),
    crs: z.string().optional(),
    timeFormat: z.string().optional(),
    timeZone: z.string().optional(),
    skipInvalid: z.boolean().optional(),
    fix: z.boolean().optional(),
    dryRun: z.boolean().optional(),
    autoCode: z.boolean().optional(),
    encoding: z.string().optional(),
    maxBytes: z.number().int().positive().optional(),
    maxUncompressedBytes: z.number().int().positive().optional(),
    maxZipEntries: z.number().int().positive().optional(),
    maxRecords: z.number().int().positive().optional(),
    areaToleranceM2: z.number().nonnegative().optional(),
    strictTiling: z.boolean().optional(),
    nearestAddressM: z.number().nonnegative().max(1000).optional(),
    device: z.string().min(1).optional(),
    deviceKind: z.enum(['handheld', 'vehicle', 'bodycam', 'ebike']).optional(),
    actor: z.string().min(1).optional(),
    maxIssues: z.number().int().positive().optional(),
  })
  .strict();

export type Profile = z.infer<typeof profileSchema>;

export function parseProfile(text: string, source = 'profile'): Profile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ImportError('BAD_OPTION', `${source} is not valid JSON: ${(err as Error).message}`);
  }
  const r = profileSchema.safeParse(json);
  if (!r.success) {
    const first = r.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ImportError('BAD_OPTION', `${source} is not a valid import profile: ${first.join('; ')}`);
  }
  return r.data;
}

/** Options from the profile, overridden by explicit ones; map/values/defaults merge key by key. */
export function mergeOptions(profile: Profile, explicit: ImportOptions): ImportOptions & { kind?: ImportKind } {
  const values: NonNullable<ImportOptions['values']> = { ...(profile.values ?? {}) };
  for (const [field, table] of Object.entries(explicit.values ?? {})) values[field] = { ...(values[field] ?? {}), ...table };
  return {
    ...profile,
    ...explicit,
    map: { ...(profile.map ?? {}), ...(explicit.map ?? {}) },
    values,
    defaults: { ...(profile.defaults ?? {}), ...(explicit.defaults ?? {}) },
  };
}

/** Importers: one call, any supported format, all or nothing. See run.ts for the rules. */
export { runImport, DEFAULT_LIMITS } from './run.ts';
export { ImportError } from './errors.ts';
export { parseProfile, mergeOptions, profileSchema, type Profile } from './profile.ts';
export { KIND_SPECS } from './kinds.ts';
export * from './types.ts';

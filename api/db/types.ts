import type { ISql } from 'postgres';

/** Anything queries can run on: the pool, a transaction, or a reserved connection. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- postgres.js's own default type parameter
export type Db = ISql<{}>;

import type { AuthContext } from '../auth/types.ts';
import type { Owner } from '../db/owner.ts';

/** Per-request variables every router can read (`c.get('auth')`). */
export interface AppEnv {
  Variables: {
    auth: AuthContext | null;
    clientIp: string;
    /** Run after the request's transaction commits (e.g. publishing feed messages). */
    afterCommit: (() => void)[];
    /** Owner work for this request, in its transaction (see api/db/owner.ts). */
    owner: Owner;
  };
}

import type { AuthContext } from '../auth/types.ts';

/** Per-request variables every router can read (`c.get('auth')`). */
export interface AppEnv {
  Variables: {
    auth: AuthContext | null;
    clientIp: string;
    /** Run after the request's transaction commits (e.g. publishing feed messages). */
    afterCommit: (() => void)[];
  };
}

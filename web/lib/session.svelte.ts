/** The logged-in user as the console knows it; the CSRF token rides along on every write. */
export interface SessionUser {
  id: number;
  username: string;
  displayName: string;
  kind: 'staff' | 'display';
  roles: string[];
  mustChangePassword: boolean;
}

class Session {
  user = $state<SessionUser | null>(null);
  csrfToken = $state<string | null>(null);
  checked = $state(false);

  set(user: SessionUser | null, csrfToken: string | null) {
    this.user = user;
    this.csrfToken = csrfToken;
    this.checked = true;
  }
}

export const session = new Session();

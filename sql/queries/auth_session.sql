-- auth_session: a session with its user and the roles of the user's assignments in force on the
-- given day (roles are read per request, so a reassignment changes access at once).
-- params:
--   $1 token_hash text
--   $2 today date (Asia/Shanghai)
-- returns zero or one row: created_at, last_seen_at, expires_at, revoked_at timestamptz, csrf_token text,
--   user_id int, username text, display_name text, kind text, staff_id int, must_change_password bool,
--   disabled bool, roles text[]
SELECT s.created_at, s.last_seen_at, s.expires_at, s.revoked_at, s.csrf_token,
       u.id AS user_id, u.username, u.display_name, u.kind, u.staff_id, u.must_change_password, u.disabled,
       CASE WHEN u.kind = 'display' THEN ARRAY['display']
            ELSE coalesce((SELECT array_agg(DISTINCT a.role ORDER BY a.role) FROM assignment a
                           WHERE a.staff_id = u.staff_id AND a.starts_on <= $2::date
                             AND (a.ends_on IS NULL OR a.ends_on >= $2::date)), '{}')
       END AS roles
FROM app_session s JOIN app_user u ON u.id = s.user_id
WHERE s.token_hash = $1::text

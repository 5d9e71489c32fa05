-- audit_log_list: audit entries, newest first. Run as the caller's scoped role, so row-level
-- security returns rows to command users only.
-- params:
--   $1 from timestamptz | null
--   $2 to timestamptz | null
--   $3 actor text | null
--   $4 action_prefix text | null (e.g. 'person.' matches person.view and person.reveal)
--   $5 row_limit integer
-- returns rows: id text, at timestamptz, actor text, action text, target_type text, target_id text,
--   reason text, client_ip text, details jsonb
SELECT id::text, at, actor, action, target_type, target_id, reason, client_ip, details
FROM audit_log
WHERE ($1::timestamptz IS NULL OR at >= $1::timestamptz)
  AND ($2::timestamptz IS NULL OR at < $2::timestamptz)
  AND ($3::text IS NULL OR actor = $3::text)
  AND ($4::text IS NULL OR starts_with(action, $4::text))
ORDER BY audit_log.at DESC, audit_log.id DESC
LIMIT $5::int

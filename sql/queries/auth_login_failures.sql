-- auth_login_failures: recent failed logins for a user name and for a client address, and the
-- oldest failure of each in the window (for Retry-After).
-- params:
--   $1 username text
--   $2 client_ip text
--   $3 since timestamptz
-- returns one row: user_failures int, ip_failures int, oldest_user timestamptz, oldest_ip timestamptz
SELECT count(*) FILTER (WHERE username = $1::text)::int AS user_failures,
       count(*) FILTER (WHERE client_ip = $2::text)::int AS ip_failures,
       min(at) FILTER (WHERE username = $1::text) AS oldest_user,
       min(at) FILTER (WHERE client_ip = $2::text) AS oldest_ip
FROM login_attempt
WHERE NOT success AND at > $3::timestamptz AND (username = $1::text OR client_ip = $2::text)

-- Address search (标准地址检索) by trigram index: substring and regular-expression matches on the
-- address text, and code prefixes, become index lookups instead of a scan of every address (2M at
-- city scale). pg_trgm is in Debian's postgresql-15 contrib and in PGlite's contrib (registered in
-- api/db/embedded.ts). C.UTF-8 and other UTF-8 locales make trigrams of Chinese characters too.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX address_text_trgm ON address USING gin (address_text gin_trgm_ops);
CREATE INDEX address_code_trgm ON address USING gin (code gin_trgm_ops);

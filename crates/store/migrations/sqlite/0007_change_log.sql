-- What each write transaction changed, so a server watching the store (another
-- process ran `tsifra sync` or `tsifra import`) reads only those records
-- instead of loading the whole workspace. One row per batch, record kind and
-- operation: `version` is the data version the batch made (meta.version after
-- it, so in commit order: every writer bumps it first and holds that row's
-- lock to its commit), `kind` an entity kind ('deal', 'task', …) or
-- 'account', 'plan_origin', 'hygiene_day', or 'all' (a batch too big to list:
-- load whole), `op` 'upsert' or 'delete', `keys` a JSON array of the ids (or
-- plan origins, or days). Only the last batches are kept (see crates/store/
-- src/write.rs); meta 'change_log_from' is the oldest version whose rows are
-- all still here. Keep in step with ../postgres/0007.
CREATE TABLE change_log (
    version BIGINT NOT NULL,
    kind    TEXT NOT NULL,
    op      TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),
    keys    TEXT NOT NULL,
    PRIMARY KEY (version, kind, op)
);
-- Batches stored before this have no rows: a reader behind this version loads whole.
INSERT INTO meta (key, value)
    SELECT 'change_log_from', CAST(CAST(value AS BIGINT) + 1 AS TEXT) FROM meta WHERE key = 'version';

-- Tsifra's store, SQLite dialect. Keep in step with ../postgres/0001_init.sql:
-- the same tables and columns, only the DDL spelling differs. Column types are
-- the ones sqlx's Any driver can carry (STACK.md 2.1): money in BIGINT minor
-- units, instants in unix seconds, dates as 'YYYY-MM-DD', booleans as 0/1,
-- lists and custom field values as JSON text.
--
-- `id INTEGER PRIMARY KEY` (not BIGINT) makes the id the rowid in SQLite:
-- no second index to maintain on a million-row bulk write. It is 64-bit.
-- There are no foreign keys between CRM records on purpose: a sync sees
-- deletions out of order, and a deal pointing at a gone company is data.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
-- `application` tells our file from a stranger's; `version` counts landed batches.
INSERT INTO meta (key, value) VALUES ('application', 'tsifra'), ('version', '0');

CREATE TABLE account (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    name      TEXT NOT NULL,
    base_url  TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    currency  TEXT NOT NULL
);

CREATE TABLE teams (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE users (
    id      INTEGER PRIMARY KEY,
    name    TEXT NOT NULL,
    email   TEXT,
    team_id INTEGER,
    active  INTEGER NOT NULL CHECK (active IN (0, 1)),
    source  TEXT NOT NULL
);

CREATE TABLE pipelines (
    id      INTEGER PRIMARY KEY,
    name    TEXT NOT NULL,
    sort    INTEGER NOT NULL,
    is_main INTEGER NOT NULL CHECK (is_main IN (0, 1))
);

-- amoCRM reuses the won/lost status ids 142 and 143 in every pipeline, so a
-- stage is only unique within its pipeline. `position` keeps the list order.
CREATE TABLE pipeline_stages (
    pipeline_id INTEGER NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
    stage_id    INTEGER NOT NULL,
    position    INTEGER NOT NULL,
    name        TEXT NOT NULL,
    sort        INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('open', 'won', 'lost')),
    PRIMARY KEY (pipeline_id, stage_id)
);

CREATE TABLE loss_reasons (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE field_defs (
    id         INTEGER PRIMARY KEY,
    entity     TEXT NOT NULL,
    name       TEXT NOT NULL,
    code       TEXT,
    field_type TEXT NOT NULL,
    options    TEXT NOT NULL
);

CREATE TABLE companies (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL,
    responsible_id INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    tax_id         TEXT,
    phones         TEXT NOT NULL,
    emails         TEXT NOT NULL,
    fields         TEXT NOT NULL,
    source         TEXT NOT NULL
);

CREATE TABLE contacts (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL,
    responsible_id INTEGER,
    company_ids    TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    phones         TEXT NOT NULL,
    emails         TEXT NOT NULL,
    fields         TEXT NOT NULL,
    source         TEXT NOT NULL
);

-- `history` holds the deal's stage moves in the compact text form described
-- in src/codec.rs, not a table of its own: see the reasons there.
CREATE TABLE deals (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL,
    pipeline_id    INTEGER NOT NULL,
    stage_id       INTEGER NOT NULL,
    amount         INTEGER NOT NULL,
    responsible_id INTEGER,
    company_id     INTEGER,
    contact_ids    TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    closed_at      INTEGER,
    loss_reason_id INTEGER,
    lead_source    TEXT,
    tags           TEXT NOT NULL,
    fields         TEXT NOT NULL,
    history        TEXT NOT NULL,
    source         TEXT NOT NULL
);

CREATE TABLE tasks (
    id             INTEGER PRIMARY KEY,
    entity_kind    TEXT,
    entity_id      INTEGER,
    responsible_id INTEGER,
    kind           TEXT NOT NULL,
    text           TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    due_at         INTEGER NOT NULL,
    completed_at   INTEGER,
    result         TEXT,
    source         TEXT NOT NULL,
    CHECK ((entity_kind IS NULL) = (entity_id IS NULL))
);

CREATE TABLE activities (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    manager_id  INTEGER,
    entity_kind TEXT,
    entity_id   INTEGER,
    at          INTEGER NOT NULL,
    duration_s  INTEGER NOT NULL,
    connected   INTEGER NOT NULL CHECK (connected IN (0, 1)),
    source      TEXT NOT NULL,
    CHECK ((entity_kind IS NULL) = (entity_id IS NULL))
);

CREATE TABLE payments (
    id          INTEGER PRIMARY KEY,
    deal_id     INTEGER,
    company_id  INTEGER,
    amount_due  INTEGER NOT NULL,
    due_date    TEXT,
    amount_paid INTEGER NOT NULL,
    paid_date   TEXT,
    source      TEXT NOT NULL
);

-- One target per (file it came from, whose, period, metric). `whose` is
-- 'team' or 'manager:ID' because a key column cannot be NULL in PostgreSQL;
-- `manager_id` repeats the id for readers. The period is kept whole (kind,
-- start, end) so any period, "last N days" too, comes back exactly.
CREATE TABLE plans (
    origin       TEXT NOT NULL,
    whose        TEXT NOT NULL,
    manager_id   INTEGER,
    period_key   TEXT NOT NULL,
    period_kind  TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end   TEXT NOT NULL,
    metric       TEXT NOT NULL,
    target       INTEGER NOT NULL,
    PRIMARY KEY (origin, whose, period_key, metric)
);

-- Tsifra's store, PostgreSQL dialect. Keep in step with ../sqlite/0001_init.sql:
-- the same tables and columns, only the DDL spelling differs. Column types are
-- the ones sqlx's Any driver can carry (STACK.md 2.1): money in BIGINT minor
-- units, instants in unix seconds, dates as 'YYYY-MM-DD', booleans as 0/1
-- INTEGER (a BOOLEAN column does not decode through Any on SQLite, and one
-- decoding path for both is the point), lists and custom field values as JSON
-- text. No NUMERIC or TIMESTAMPTZ: the Any driver cannot decode them.
--
-- Ids are plain BIGINT keys, no identity: they are the CRM's own ids.
-- There are no foreign keys between CRM records on purpose: a sync sees
-- deletions out of order, and a deal pointing at a gone company is data.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
-- `application` tells our file from a stranger's; `version` counts landed batches.
INSERT INTO meta (key, value) VALUES ('application', 'tsifra'), ('version', '0');

CREATE TABLE account (
    id        BIGINT PRIMARY KEY CHECK (id = 1),
    name      TEXT NOT NULL,
    base_url  TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    currency  TEXT NOT NULL
);

CREATE TABLE teams (
    id   BIGINT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE users (
    id      BIGINT PRIMARY KEY,
    name    TEXT NOT NULL,
    email   TEXT,
    team_id BIGINT,
    active  INTEGER NOT NULL CHECK (active IN (0, 1)),
    source  TEXT NOT NULL
);

CREATE TABLE pipelines (
    id      BIGINT PRIMARY KEY,
    name    TEXT NOT NULL,
    sort    INTEGER NOT NULL,
    is_main INTEGER NOT NULL CHECK (is_main IN (0, 1))
);

-- amoCRM reuses the won/lost status ids 142 and 143 in every pipeline, so a
-- stage is only unique within its pipeline. `position` keeps the list order.
CREATE TABLE pipeline_stages (
    pipeline_id BIGINT NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
    stage_id    BIGINT NOT NULL,
    position    INTEGER NOT NULL,
    name        TEXT NOT NULL,
    sort        INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('open', 'won', 'lost')),
    PRIMARY KEY (pipeline_id, stage_id)
);

CREATE TABLE loss_reasons (
    id   BIGINT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE field_defs (
    id         BIGINT PRIMARY KEY,
    entity     TEXT NOT NULL,
    name       TEXT NOT NULL,
    code       TEXT,
    field_type TEXT NOT NULL,
    options    TEXT NOT NULL
);

CREATE TABLE companies (
    id             BIGINT PRIMARY KEY,
    name           TEXT NOT NULL,
    responsible_id BIGINT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    tax_id         TEXT,
    phones         TEXT NOT NULL,
    emails         TEXT NOT NULL,
    fields         TEXT NOT NULL,
    source         TEXT NOT NULL
);

CREATE TABLE contacts (
    id             BIGINT PRIMARY KEY,
    name           TEXT NOT NULL,
    responsible_id BIGINT,
    company_ids    TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    phones         TEXT NOT NULL,
    emails         TEXT NOT NULL,
    fields         TEXT NOT NULL,
    source         TEXT NOT NULL
);

-- `history` holds the deal's stage moves in the compact text form described
-- in src/codec.rs, not a table of its own: see the reasons there.
CREATE TABLE deals (
    id             BIGINT PRIMARY KEY,
    name           TEXT NOT NULL,
    pipeline_id    BIGINT NOT NULL,
    stage_id       BIGINT NOT NULL,
    amount         BIGINT NOT NULL,
    responsible_id BIGINT,
    company_id     BIGINT,
    contact_ids    TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    closed_at      BIGINT,
    loss_reason_id BIGINT,
    lead_source    TEXT,
    tags           TEXT NOT NULL,
    fields         TEXT NOT NULL,
    history        TEXT NOT NULL,
    source         TEXT NOT NULL
);

CREATE TABLE tasks (
    id             BIGINT PRIMARY KEY,
    entity_kind    TEXT,
    entity_id      BIGINT,
    responsible_id BIGINT,
    kind           TEXT NOT NULL,
    text           TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    due_at         BIGINT NOT NULL,
    completed_at   BIGINT,
    result         TEXT,
    source         TEXT NOT NULL,
    CHECK ((entity_kind IS NULL) = (entity_id IS NULL))
);

CREATE TABLE activities (
    id          BIGINT PRIMARY KEY,
    kind        TEXT NOT NULL,
    manager_id  BIGINT,
    entity_kind TEXT,
    entity_id   BIGINT,
    at          BIGINT NOT NULL,
    duration_s  BIGINT NOT NULL,
    connected   INTEGER NOT NULL CHECK (connected IN (0, 1)),
    source      TEXT NOT NULL,
    CHECK ((entity_kind IS NULL) = (entity_id IS NULL))
);

CREATE TABLE payments (
    id          BIGINT PRIMARY KEY,
    deal_id     BIGINT,
    company_id  BIGINT,
    amount_due  BIGINT NOT NULL,
    due_date    TEXT,
    amount_paid BIGINT NOT NULL,
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
    manager_id   BIGINT,
    period_key   TEXT NOT NULL,
    period_kind  TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end   TEXT NOT NULL,
    metric       TEXT NOT NULL,
    target       BIGINT NOT NULL,
    PRIMARY KEY (origin, whose, period_key, metric)
);

-- amoCRM's incoming-leads status ("Неразобранное") is a kind of stage of its
-- own, and a deal keeps the changes of its responsible manager so a win is
-- credited to whoever held the deal then. Keep in step with ../postgres/0003.
--
-- SQLite cannot change a CHECK constraint in place: the stages table is made
-- anew with the wider check and its rows copied over.
CREATE TABLE pipeline_stages_new (
    pipeline_id INTEGER NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
    stage_id    INTEGER NOT NULL,
    position    INTEGER NOT NULL,
    name        TEXT NOT NULL,
    sort        INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('open', 'won', 'lost', 'unsorted')),
    PRIMARY KEY (pipeline_id, stage_id)
);
INSERT INTO pipeline_stages_new (pipeline_id, stage_id, position, name, sort, kind)
    SELECT pipeline_id, stage_id, position, name, sort, kind FROM pipeline_stages;
DROP TABLE pipeline_stages;
ALTER TABLE pipeline_stages_new RENAME TO pipeline_stages;

-- `at,from,to;…` in unix seconds and user ids, oldest first (src/codec.rs).
ALTER TABLE deals ADD COLUMN responsible_changes TEXT NOT NULL DEFAULT '';

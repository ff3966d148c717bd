-- amoCRM's incoming-leads status ("Неразобранное") is a kind of stage of its
-- own, and a deal keeps the changes of its responsible manager so a win is
-- credited to whoever held the deal then. Keep in step with ../sqlite/0003.
ALTER TABLE pipeline_stages DROP CONSTRAINT pipeline_stages_kind_check;
ALTER TABLE pipeline_stages ADD CONSTRAINT pipeline_stages_kind_check
    CHECK (kind IN ('open', 'won', 'lost', 'unsorted'));

-- `at,from,to;…` in unix seconds and user ids, oldest first (src/codec.rs).
ALTER TABLE deals ADD COLUMN responsible_changes TEXT NOT NULL DEFAULT '';

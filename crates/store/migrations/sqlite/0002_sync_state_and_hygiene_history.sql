-- Where a connector's sync stands (watermarks, the page a killed run resumes
-- from). Written in the same transaction as the batch it describes.
CREATE TABLE sync_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Each day's CRM-hygiene tallies per manager (0: no responsible) and rule,
-- so the trend survives later changes to the data.
CREATE TABLE hygiene_history (
    day        TEXT NOT NULL,
    manager_id INTEGER NOT NULL,
    rule       TEXT NOT NULL,
    violations INTEGER NOT NULL,
    checked    INTEGER NOT NULL,
    PRIMARY KEY (day, manager_id, rule)
);

-- Which process may talk to a CRM account's API, and until when: amoCRM's
-- request limit is per account, so two processes syncing one account at once
-- would exceed it together. A holder renews its row while it works and lets go
-- (expires_at set to the release time) when done; a holder that was killed
-- loses the row when it expires. Times are Unix milliseconds. The previous
-- holder and its expiry tell the next one how long the account has been quiet.
CREATE TABLE sync_lease (
    name                TEXT PRIMARY KEY,
    holder              TEXT NOT NULL,
    expires_at          BIGINT NOT NULL,
    taken_at            BIGINT NOT NULL,
    previous_holder     TEXT,
    previous_expires_at BIGINT
);

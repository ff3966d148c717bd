-- Official production calendars loaded with `tsifra calendar import`. Each
-- imported year replaces the built-in decree or the Labour Code fallback for
-- that year; imported_at is Unix seconds.
CREATE TABLE calendar_years (
    year        BIGINT PRIMARY KEY,
    source      TEXT NOT NULL,
    imported_at BIGINT NOT NULL
);

-- The special days of those years (any other day is a working day Monday to
-- Friday): kind is holiday, working (a working weekend) or short (a
-- shortened working day); moved_from is the day a day off came from, or ''.
CREATE TABLE calendar_days (
    day        TEXT PRIMARY KEY,
    year       BIGINT NOT NULL REFERENCES calendar_years (year) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    moved_from TEXT NOT NULL DEFAULT ''
);

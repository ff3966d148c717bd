-- When each plan's file was imported (Unix milliseconds), so that of the plans
-- for one manager, period and metric the latest import is the one in force, and
-- removing a file brings back what it had overridden. Plans stored before this
-- have no time (NULL): any later import takes over from them. Keep in step with
-- ../postgres/0005.
ALTER TABLE plans ADD COLUMN imported_at INTEGER;

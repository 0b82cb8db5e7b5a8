-- vmsched schema, version 6: columns no one needs any more.
-- `pgid`, `pgid_start`: a task command's process group. It lives in its worker's session, and
-- the session (named by the worker's recorded pid) is what a pass kills, so the group record
-- added nothing, while a thousand workers writing it at once held up other writers.
-- `displaced`: never written (a displaced owner's worker is stopped by the pass itself).
ALTER TABLE operations DROP COLUMN pgid;
ALTER TABLE operations DROP COLUMN pgid_start;
ALTER TABLE operations DROP COLUMN displaced;

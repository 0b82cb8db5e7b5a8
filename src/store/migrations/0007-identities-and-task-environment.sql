-- vmsched schema, version 7: real identities and a task environment of the job's own.
--
-- `user` (jobs, history) is the real user, from the process's uid; `on_behalf_of` is the user
-- a job was submitted for (`jobs submit --user`, root and the service user only), NULL when
-- none. Rows written before keep their `user` (then a declared or environment name).
ALTER TABLE jobs ADD COLUMN on_behalf_of TEXT;
ALTER TABLE history ADD COLUMN on_behalf_of TEXT;
-- The variables the job sets for its tasks (`jobs submit --env`, a job file's `[env]`), as a
-- JSON object of names to values; NULL for none.
ALTER TABLE jobs ADD COLUMN env TEXT;

-- vmsched schema: `jobs list` shows the jobs still open and those ended lately, and purges
-- find the jobs that ended long ago, by the time they ended.
CREATE INDEX jobs_ended ON jobs(ended);

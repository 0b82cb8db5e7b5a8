-- vmsched schema: indexes for listings and purges. `jobs list` shows the jobs still open and
-- those ended lately, and a purge finds the jobs that ended long ago, by their end time; a
-- purged job's operations are found by their job.
CREATE INDEX jobs_ended ON jobs(ended);
CREATE INDEX operations_job ON operations(job);

-- vmsched schema: every attempt of a task, each with its own log.
-- `tasks.attempts` counts the starts (or tries to start) of the task's command, however they
-- ended; `tries` still counts only those that gave no result of the command's own and decides
-- `boterror`. An attempt's log is named by its number, so no attempt overwrites another's.
ALTER TABLE tasks ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
CREATE TABLE attempts (
    job       INTEGER NOT NULL,
    step      INTEGER NOT NULL,
    task      INTEGER NOT NULL,
    no        INTEGER NOT NULL,
    started   TEXT,              -- NULL for attempts made before this table: only their log is known
    ended     TEXT,
    result    TEXT,              -- NULL while it runs; the words of docs/interfaces.md
    exit_code INTEGER,
    log       TEXT NOT NULL,     -- relative to the database's folder
    PRIMARY KEY (job, step, task, no),
    FOREIGN KEY (job, step, task) REFERENCES tasks(job, step, no) ON DELETE CASCADE
) WITHOUT ROWID;
-- Attempts made before: the latest log was named `<task>.<tries + 1>.log`, so its number is
-- how many attempts are known (1 for a log named otherwise).
UPDATE tasks SET attempts = CASE
    WHEN log IS NULL THEN 0
    WHEN log GLOB 'logs/' || job || '/' || step || '/' || no || '.[0-9]*.log'
        THEN MAX(1, CAST(substr(log, length('logs/' || job || '/' || step || '/' || no || '.') + 1) AS INTEGER))
    ELSE 1
END;
-- Only the latest attempt's times and result are known; the earlier ones keep their log.
WITH RECURSIVE n(job, step, task, no) AS (
    SELECT job, step, no, 1 FROM tasks WHERE attempts > 0
    UNION ALL
    SELECT n.job, n.step, n.task, n.no + 1 FROM n
    JOIN tasks t ON t.job = n.job AND t.step = n.step AND t.no = n.task
    WHERE n.no < t.attempts
)
INSERT INTO attempts (job, step, task, no, started, ended, result, exit_code, log)
SELECT n.job, n.step, n.task, n.no,
       CASE WHEN n.no = t.attempts THEN t.started END,
       CASE WHEN n.no = t.attempts THEN t.ended END,
       CASE WHEN n.no = t.attempts AND t.status = 'running' THEN NULL
            WHEN n.no = t.attempts AND t.status <> 'queued' THEN t.status
            ELSE 'unknown' END,
       CASE WHEN n.no = t.attempts THEN t.exit_code END,
       CASE WHEN n.no = t.attempts THEN t.log
            ELSE 'logs/' || n.job || '/' || n.step || '/' || n.task || '.' || n.no || '.log' END
FROM n JOIN tasks t ON t.job = n.job AND t.step = n.step AND t.no = n.task;

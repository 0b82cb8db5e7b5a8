-- vmsched schema: history as typed events.
--
-- Every row gets a kind and the fields that kind has, so nothing reads `detail` (it stays the
-- sentence people read):
--   status     a VM's status changed, nothing more to say (a pass's mark, a revert's
--              `sleeping`, a power-off's end)
--   start      a task started on the VM (`job`, `step`, `task`)
--   task       a task's attempt ended, or a queued task was canceled: `result` is the task's
--              status after it (`queued` when it went back to the queue), `duration_ms` how
--              long its command ran
--   revert     a revert ended: `result` `ok`, `failed` or `interrupted`, `duration_ms` since
--              it began
--   monitor    the check of an offline VM ended
--   steal      the VM gave its domain up to `for_vm` (stolen or forced)
--   sacrifice  the VM was powered off so that `for_vm` could use its host
--   stop       a pass stopped the VM's stuck or leftover worker
--   admin      an admin's change (VMs, host limits, settings, jobs canceled by hand, revert
--              and power-off held by an admin)
--   counters   a pass's task counters (`runnable`, `queued`, `blocked`), when they changed
-- Old and new status stay where a row changes (or names) a VM's status, whatever its kind.
ALTER TABLE history ADD COLUMN kind TEXT NOT NULL DEFAULT 'status';
ALTER TABLE history ADD COLUMN job INTEGER;
ALTER TABLE history ADD COLUMN step INTEGER;
ALTER TABLE history ADD COLUMN task INTEGER;
ALTER TABLE history ADD COLUMN result TEXT;
ALTER TABLE history ADD COLUMN for_vm TEXT;
ALTER TABLE history ADD COLUMN duration_ms INTEGER;
ALTER TABLE history ADD COLUMN runnable INTEGER;
ALTER TABLE history ADD COLUMN queued INTEGER;
ALTER TABLE history ADD COLUMN blocked INTEGER;

-- Kinds of the rows written before, derived once from the sentences the writers used.
UPDATE history SET kind = CASE
    WHEN vm IS NULL AND detail LIKE 'counters runnable % queued % blocked %' THEN 'counters'
    WHEN vm IS NULL THEN 'admin'
    WHEN new_status = 'running' AND detail LIKE 'running % % %' THEN 'start'
    WHEN detail LIKE 'off stolen by %' OR detail LIKE 'off forced by %' THEN 'steal'
    WHEN detail LIKE 'dirty sacrifice for %' THEN 'sacrifice'
    WHEN detail LIKE 'task %/%/% %' OR detail LIKE 'dirty task %/%/% %'
      OR detail LIKE 'dirty wrong snapshot, task %' OR detail LIKE 'canceled % % %' THEN 'task'
    WHEN detail LIKE 'boterror %' THEN 'stop'
    WHEN detail LIKE 'off monitor: %' OR detail LIKE 'offline monitor: %' THEN 'monitor'
    WHEN old_status IN ('reverting', 'sleeping') AND (detail = 'idle' OR detail = 'offline interrupted'
      OR detail LIKE 'offline revert %' OR detail LIKE 'offline not ready: %') THEN 'revert'
    WHEN detail = 'added' OR detail = 'removed' OR detail LIKE '% by ' || user
      OR detail LIKE '% by ' || user || ': %' THEN 'admin'
    ELSE 'status'
END;

-- Counters: `counters runnable R queued Q blocked B` (a cast reads the leading number).
UPDATE history SET
    runnable = CAST(substr(detail, 19) AS INTEGER),
    queued = CAST(substr(detail, instr(detail, ' queued ') + 8) AS INTEGER),
    blocked = CAST(substr(detail, instr(detail, ' blocked ') + 9) AS INTEGER)
WHERE kind = 'counters';

-- Steals and sacrifices: the VM they were for (`off stolen by X`; `off forced by USER`
-- names the admin, whose VM the sentence does not say).
UPDATE history SET for_vm = substr(detail, 15) WHERE kind = 'steal' AND detail LIKE 'off stolen by %';
UPDATE history SET for_vm = substr(detail, 21) WHERE kind = 'sacrifice';
UPDATE history SET for_vm = NULL
WHERE kind = 'steal' AND user <> 'scheduler';

-- Task keys and results: `running J S T`, `canceled J S T`, `task J/S/T WHAT...`,
-- `dirty task J/S/T WHAT...`, `dirty wrong snapshot, task J/S/T not started...`.
CREATE TEMP TABLE keyed (id INTEGER PRIMARY KEY, rest TEXT, job INTEGER, step INTEGER,
                         task INTEGER, word TEXT);
INSERT INTO keyed (id, rest)
SELECT id, replace(CASE
        WHEN kind = 'start' THEN substr(detail, 9)
        WHEN detail LIKE 'canceled %' THEN substr(detail, 10)
        WHEN detail LIKE 'task %' THEN substr(detail, 6)
        WHEN detail LIKE 'dirty task %' THEN substr(detail, 12)
        ELSE substr(detail, 28)
    END, '/', ' ') || ' '
FROM history WHERE kind IN ('start', 'task');
UPDATE keyed SET job = CAST(rest AS INTEGER), rest = substr(rest, instr(rest, ' ') + 1);
UPDATE keyed SET step = CAST(rest AS INTEGER), rest = substr(rest, instr(rest, ' ') + 1);
UPDATE keyed SET task = CAST(rest AS INTEGER), rest = substr(rest, instr(rest, ' ') + 1);
UPDATE keyed SET word = rtrim(substr(rest, 1, instr(rest, ' ') - 1), ':');
UPDATE history SET
    job = (SELECT job FROM keyed WHERE keyed.id = history.id),
    step = (SELECT step FROM keyed WHERE keyed.id = history.id),
    task = (SELECT task FROM keyed WHERE keyed.id = history.id),
    result = CASE
        WHEN detail LIKE 'canceled %' THEN 'canceled'
        WHEN detail LIKE 'dirty wrong snapshot, %' THEN 'queued'
        ELSE (SELECT CASE word WHEN 'requeued' THEN 'queued' WHEN 'stopped' THEN 'queued'
                               ELSE word END
              FROM keyed WHERE keyed.id = history.id)
    END
WHERE kind = 'task';
UPDATE history SET
    job = (SELECT job FROM keyed WHERE keyed.id = history.id),
    step = (SELECT step FROM keyed WHERE keyed.id = history.id),
    task = (SELECT task FROM keyed WHERE keyed.id = history.id)
WHERE kind = 'start';
DROP TABLE keyed;

-- Durations, from the row that began them: a revert since the VM last became `reverting`, a
-- task's command since the VM's last start row, when it started that task. One pass over the
-- rows by VM finds both (a window), not a search back per row.
CREATE TEMP TABLE began (id INTEGER PRIMARY KEY, reverting INTEGER, started INTEGER);
INSERT INTO began (id, reverting, started)
SELECT id,
       max(CASE WHEN new_status = 'reverting' THEN id END) OVER before,
       max(CASE WHEN kind = 'start' THEN id END) OVER before
FROM history WHERE vm IS NOT NULL
WINDOW before AS (PARTITION BY vm ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING);
UPDATE history SET
    result = CASE WHEN new_status = 'idle' THEN 'ok'
                  WHEN detail = 'offline interrupted' THEN 'interrupted' ELSE 'failed' END,
    duration_ms = (SELECT CAST(round((julianday(history.time) - julianday(b.time)) * 86400000) AS INTEGER)
                   FROM began g JOIN history b ON b.id = g.reverting WHERE g.id = history.id)
WHERE kind = 'revert';
UPDATE history SET
    duration_ms = (SELECT CAST(round((julianday(history.time) - julianday(b.time)) * 86400000) AS INTEGER)
                   FROM began g JOIN history b ON b.id = g.started
                   WHERE g.id = history.id AND b.job = history.job AND b.step = history.step
                     AND b.task = history.task)
WHERE kind = 'task' AND result IN ('completed', 'failed', 'timeout');
DROP TABLE began;

-- Listings by time and by kind (`history --since`, the last counters, purges), without
-- reading the whole table.
CREATE INDEX history_time ON history(time);
CREATE INDEX history_kind ON history(kind, id);

-- The last history row whose alert lines a pass has printed (it was a settings row).
CREATE TABLE alerts_reported (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    history INTEGER NOT NULL DEFAULT 0
);
INSERT INTO alerts_reported (id, history)
SELECT 1, coalesce((SELECT CAST(value AS INTEGER) FROM settings WHERE key = '_last_reported'), 0);
DELETE FROM settings WHERE key = '_last_reported';

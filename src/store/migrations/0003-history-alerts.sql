-- vmsched schema, version 3: the history rows that are lines for cron's mail are marked when
-- they are written (a task that ended in boterror or did not start on a wrong snapshot, a VM
-- that went offline for the first time in a streak of failures or reached max_errors), instead
-- of being recognised later by their text. Rows not yet reported keep being reported.
ALTER TABLE history ADD COLUMN alert INTEGER NOT NULL DEFAULT 0;
UPDATE history SET alert = 1
WHERE id > coalesce((SELECT CAST(value AS INTEGER) FROM settings WHERE key = '_last_reported'), 0)
  AND vm IS NOT NULL
  AND ((new_status = 'offline' AND old_status IS NOT 'offline') OR detail LIKE '%task % boterror%');
CREATE INDEX history_alerts ON history(id) WHERE alert = 1;

-- vmsched schema: what stats, metrics and the silence alert read.
--
-- When the last pass ran and how long it took, for `vmsched metrics`: one row, rewritten by
-- every pass in the transaction that records its workers.
CREATE TABLE last_pass (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    started     TEXT NOT NULL,       -- RFC 3339 UTC, milliseconds
    duration_ms INTEGER NOT NULL     -- from its start to its workers' record
);

-- A VM's latest row of a kind (its last completed task, start, silence alert) without reading
-- the VM's whole history: metrics ask it for every VM, cron's passes for every enabled one.
CREATE INDEX history_vm_kind ON history(vm, kind, id);

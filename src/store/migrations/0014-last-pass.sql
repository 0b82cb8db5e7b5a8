-- vmsched schema: when the last pass ran and how long it took, for `vmsched metrics`.
-- One row, rewritten by every pass in the transaction that records its workers.
CREATE TABLE last_pass (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    started     TEXT NOT NULL,       -- RFC 3339 UTC, milliseconds
    duration_ms INTEGER NOT NULL     -- from its start to its workers' record
);

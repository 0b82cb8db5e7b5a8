-- vmsched schema, version 2: requests for a scheduling pass (docs/architecture.md, "Passes on
-- events"). Every committed change that may let work proceed bumps `requested` in its own
-- transaction; a pass sets `served` to the value it planned from, so `requested > served`
-- means a change that no pass has seen yet.
CREATE TABLE pass_requests (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    requested INTEGER NOT NULL DEFAULT 0,
    served    INTEGER NOT NULL DEFAULT 0
);
INSERT INTO pass_requests (id) VALUES (1);

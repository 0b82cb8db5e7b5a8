-- vmsched schema, version 1. Times are RFC 3339 UTC text.
CREATE TABLE vms (
    name        TEXT PRIMARY KEY,
    kind        TEXT NOT NULL DEFAULT 'win64',
    role        TEXT NOT NULL DEFAULT 'base',
    status      TEXT NOT NULL DEFAULT 'off',
    uri         TEXT NOT NULL,
    domain      TEXT NOT NULL,
    snapshot    TEXT NOT NULL,
    hostname    TEXT,
    description TEXT,
    errors      INTEGER NOT NULL DEFAULT 0,
    ready_cmd   TEXT,                -- JSON argument vector, run after a revert
    last_check  TEXT,                -- last monitor check of an offline VM
    operation   INTEGER REFERENCES operations(id) ON DELETE SET NULL  -- the live child, if any
);
CREATE INDEX vms_domain ON vms(uri, domain);

CREATE TABLE hosts (                 -- limit overrides; the row '*' holds the global limits
    host                      TEXT PRIMARY KEY,
    max_active                INTEGER,
    max_running               INTEGER,
    max_reverting             INTEGER,
    max_reverts_while_running INTEGER,
    max_vms_when_idle         INTEGER,
    paused                    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE jobs (
    id        INTEGER PRIMARY KEY,
    priority  INTEGER NOT NULL DEFAULT 5,
    status    TEXT NOT NULL DEFAULT 'queued',
    user      TEXT NOT NULL,
    remarks   TEXT,
    submitted TEXT NOT NULL,
    ended     TEXT
);
CREATE INDEX jobs_status ON jobs(status);

CREATE TABLE steps (
    job      INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    no       INTEGER NOT NULL,
    name     TEXT,
    previous INTEGER,
    status   TEXT NOT NULL DEFAULT 'queued',
    timeout  INTEGER NOT NULL DEFAULT 300,
    command  TEXT NOT NULL,          -- JSON argument vector
    PRIMARY KEY (job, no)
);

CREATE TABLE tasks (
    job       INTEGER NOT NULL,
    step      INTEGER NOT NULL,
    no        INTEGER NOT NULL,
    vm        TEXT NOT NULL,         -- by name, so a removed VM's past stays readable
    status    TEXT NOT NULL DEFAULT 'queued',
    timeout   INTEGER NOT NULL DEFAULT 300,
    tries     INTEGER NOT NULL DEFAULT 0,
    started   TEXT,
    ended     TEXT,
    exit_code INTEGER,
    log       TEXT,
    PRIMARY KEY (job, step, no),
    FOREIGN KEY (job, step) REFERENCES steps(job, no) ON DELETE CASCADE
);
CREATE INDEX tasks_vm ON tasks(vm, status);
CREATE INDEX tasks_status ON tasks(status);

CREATE TABLE operations (            -- in-flight and past worker runs
    id         INTEGER PRIMARY KEY,
    vm         TEXT NOT NULL,
    kind       TEXT NOT NULL,        -- revert, poweroff, monitor, task
    pid        INTEGER,
    start_time INTEGER,              -- the process's start time (clock ticks since boot)
    pgid       INTEGER,              -- a task's process group
    pgid_start INTEGER,              -- the group leader's start time
    deadline   TEXT NOT NULL,
    created    TEXT NOT NULL,
    ended      TEXT,
    result     TEXT,
    job        INTEGER,
    step       INTEGER,
    task       INTEGER,
    displaced  TEXT,                 -- a revert's displaced sleeping owner, killed by the worker
    by_user    TEXT NOT NULL
);
CREATE INDEX operations_live ON operations(ended);

CREATE TABLE history (
    id         INTEGER PRIMARY KEY,
    time       TEXT NOT NULL,
    vm         TEXT,
    host       TEXT,
    old_status TEXT,
    new_status TEXT,
    detail     TEXT NOT NULL,
    user       TEXT NOT NULL,
    reason     TEXT
);
CREATE INDEX history_vm ON history(vm, id);

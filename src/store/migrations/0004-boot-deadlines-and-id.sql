-- vmsched schema, version 4.
--
-- Deadlines on the boot clock. `deadline` (RFC 3339 UTC) stays for people and JSON;
-- `boot_deadline_ms` (milliseconds on CLOCK_BOOTTIME, one clock for every process, never
-- stepped) judges it, so a step of the wall clock neither makes a healthy worker stuck nor
-- keeps a stuck one alive. Rows written before have none: the wall clock judges them.
ALTER TABLE operations ADD COLUMN boot_deadline_ms INTEGER;

-- The file says it is vmsched's (0x766d7364, "vmsd"): any other file at the database's path
-- (empty, another program's, not SQLite) is refused, never initialised. Must equal
-- `APPLICATION_ID` in src/store/mod.rs.
PRAGMA application_id = 1986884452;

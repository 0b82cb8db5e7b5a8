-- vmsched schema, version 5.
--
-- The UUID libvirt gave for a VM's domain when `vms add`, `vms set` or `vms import` checked it;
-- NULL when it was not checked (`--no-check`, a host that did not answer). Two URIs that
-- reach one daemon (a host name and its IP) would make one domain two domain keys: a domain
-- whose UUID is already registered under another (uri, domain) key is refused, by this column
-- rather than by asking libvirt about every registered domain of the host.
ALTER TABLE vms ADD COLUMN domain_uuid TEXT;
CREATE INDEX vms_domain_uuid ON vms (domain_uuid);

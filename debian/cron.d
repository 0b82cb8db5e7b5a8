# vmsched: one scheduling pass a minute for the shared lab, as the service user `vmsched`
# (passes run as the database's owner). Silent until the database exists (the first
# `vmsched vms add` or `vms import` by root or `vmsched` makes it); a pass prints only what
# needs an admin (a VM gone offline, a task ended in boterror), which cron mails to MAILTO.
SHELL=/bin/sh
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
MAILTO=root
* * * * *  vmsched  [ ! -e /var/lib/vmsched/vmsched.db ] || exec vmsched --db /var/lib/vmsched/vmsched.db schedule-once

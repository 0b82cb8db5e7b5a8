# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_vmsched_global_optspecs
    string join \n db= format= timeout= v/verbose q/quiet no-progress h/help V/version
end

function __fish_vmsched_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_vmsched_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_vmsched_using_subcommand
    set -l cmd (__fish_vmsched_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c vmsched -n "__fish_vmsched_needs_command" -l db -d 'The database [default: $XDG_STATE_HOME/vmsched/vmsched.db, or /var/lib/vmsched/vmsched.db as root]' -r -F
complete -c vmsched -n "__fish_vmsched_needs_command" -l format -d 'Output format of data on stdout' -r -f -a "table\t'Aligned columns for people'
json\t'JSON for scripts'"
complete -c vmsched -n "__fish_vmsched_needs_command" -l timeout -d 'Seconds allowed to connect to libvirt and for read-only calls' -r
complete -c vmsched -n "__fish_vmsched_needs_command" -s v -l verbose -d 'Say more: `schedule-once` prints its actions on stderr'
complete -c vmsched -n "__fish_vmsched_needs_command" -s q -l quiet -d 'Say only errors'
complete -c vmsched -n "__fish_vmsched_needs_command" -l no-progress -d 'Never show progress bars or spinners'
complete -c vmsched -n "__fish_vmsched_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmsched -n "__fish_vmsched_needs_command" -s V -l version -d 'Print version'
complete -c vmsched -n "__fish_vmsched_needs_command" -f -a "vms" -d 'Manage VM instances'
complete -c vmsched -n "__fish_vmsched_needs_command" -f -a "hosts" -d 'Show and set per-host limits'
complete -c vmsched -n "__fish_vmsched_needs_command" -f -a "settings" -d 'Show and change settings'
complete -c vmsched -n "__fish_vmsched_needs_command" -f -a "jobs" -d 'Submit, list and follow jobs'
complete -c vmsched -n "__fish_vmsched_needs_command" -f -a "domains" -d 'Show shared domains, their owner and what libvirt says'
complete -c vmsched -n "__fish_vmsched_needs_command" -f -a "revert" -d 'Revert a VM to its snapshot now, in the foreground (Ctrl-C leaves it offline)'
complete -c vmsched -n "__fish_vmsched_needs_command" -f -a "poweroff" -d 'Power a VM\'s domain off now, in the foreground (Ctrl-C leaves it offline)'
complete -c vmsched -n "__fish_vmsched_needs_command" -f -a "schedule-once" -d 'Run one scheduling pass (what cron runs every minute)'
complete -c vmsched -n "__fish_vmsched_needs_command" -f -a "state" -d 'Export the live scheduling state'
complete -c vmsched -n "__fish_vmsched_needs_command" -f -a "history" -d 'Show the history of status changes and decisions'
complete -c vmsched -n "__fish_vmsched_needs_command" -f -a "migrate" -d 'Migrate the database to this version\'s schema'
complete -c vmsched -n "__fish_vmsched_needs_command" -f -a "purge" -d 'Remove ended jobs, their logs and the history older than a duration'
complete -c vmsched -n "__fish_vmsched_needs_command" -f -a "demo" -d 'Run the demo: a small lab on a local hypervisor, jobs, passes until done'
complete -c vmsched -n "__fish_vmsched_needs_command" -f -a "completions" -d 'Print shell completions'
complete -c vmsched -n "__fish_vmsched_needs_command" -f -a "man" -d 'Print the man page (roff)'
complete -c vmsched -n "__fish_vmsched_needs_command" -f -a "worker" -d 'Carry out a released revert, power-off or monitor (started by vmsched-worker)'
complete -c vmsched -n "__fish_vmsched_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and not __fish_seen_subcommand_from add set remove list import help" -l db -d 'The database [default: $XDG_STATE_HOME/vmsched/vmsched.db, or /var/lib/vmsched/vmsched.db as root]' -r -F
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and not __fish_seen_subcommand_from add set remove list import help" -l format -d 'Output format of data on stdout' -r -f -a "table\t'Aligned columns for people'
json\t'JSON for scripts'"
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and not __fish_seen_subcommand_from add set remove list import help" -l timeout -d 'Seconds allowed to connect to libvirt and for read-only calls' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and not __fish_seen_subcommand_from add set remove list import help" -s v -l verbose -d 'Say more: `schedule-once` prints its actions on stderr'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and not __fish_seen_subcommand_from add set remove list import help" -s q -l quiet -d 'Say only errors'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and not __fish_seen_subcommand_from add set remove list import help" -l no-progress -d 'Never show progress bars or spinners'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and not __fish_seen_subcommand_from add set remove list import help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and not __fish_seen_subcommand_from add set remove list import help" -s V -l version -d 'Print version'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and not __fish_seen_subcommand_from add set remove list import help" -f -a "add" -d 'Register a VM instance (it starts `off`)'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and not __fish_seen_subcommand_from add set remove list import help" -f -a "set" -d 'Change a VM instance'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and not __fish_seen_subcommand_from add set remove list import help" -f -a "remove" -d 'Remove a VM instance'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and not __fish_seen_subcommand_from add set remove list import help" -f -a "list" -d 'List VM instances'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and not __fish_seen_subcommand_from add set remove list import help" -f -a "import" -d 'Create and update VMs and host limits from a TOML inventory'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and not __fish_seen_subcommand_from add set remove list import help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from add" -s c -l uri -d 'libvirt connection URI, e.g. qemu+ssh://root@host1/system' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from add" -l domain -d 'libvirt domain name' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from add" -l snapshot -d 'The snapshot this instance reverts to' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from add" -l kind -d 'build, win32, win64, wine or any label' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from add" -l role -d 'What work the instance is used for' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from add" -l hostname -d 'Guest address handed to tasks' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from add" -l description -d 'Free text' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from add" -l reason -d 'Why (recorded in the history)' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from add" -l db -d 'The database [default: $XDG_STATE_HOME/vmsched/vmsched.db, or /var/lib/vmsched/vmsched.db as root]' -r -F
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from add" -l format -d 'Output format of data on stdout' -r -f -a "table\t'Aligned columns for people'
json\t'JSON for scripts'"
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from add" -l timeout -d 'Seconds allowed to connect to libvirt and for read-only calls' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from add" -l no-check -d 'Do not ask libvirt whether the domain and snapshot exist, nor learn the domain\'s UUID (which refuses a second spelling of its URI)'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from add" -s v -l verbose -d 'Say more: `schedule-once` prints its actions on stderr'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from add" -s q -l quiet -d 'Say only errors'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from add" -l no-progress -d 'Never show progress bars or spinners'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from add" -s V -l version -d 'Print version'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from set" -l status -d 'New status (off, dirty, idle, offline, maintenance)' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from set" -l role -r
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from set" -l kind -r
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from set" -l snapshot -r
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from set" -s c -l uri -r
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from set" -l domain -r
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from set" -l hostname -d 'Guest address handed to tasks (\'\' clears it)' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from set" -l description -d 'Free text (\'\' clears it)' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from set" -l ready-cmd -d 'Readiness command run after a revert, as an argument vector (ends the options)' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from set" -l reason -d 'Why (recorded in the history)' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from set" -l db -d 'The database [default: $XDG_STATE_HOME/vmsched/vmsched.db, or /var/lib/vmsched/vmsched.db as root]' -r -F
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from set" -l format -d 'Output format of data on stdout' -r -f -a "table\t'Aligned columns for people'
json\t'JSON for scripts'"
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from set" -l timeout -d 'Seconds allowed to connect to libvirt and for read-only calls' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from set" -l no-ready-cmd -d 'Remove the readiness command'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from set" -l force -d 'Override the sibling and busy checks, and claim `idle` without libvirt\'s confirmation (recorded)'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from set" -l no-check -d 'With --uri, --domain or --snapshot: do not ask libvirt whether the new domain and snapshot exist, nor learn the domain\'s UUID (which refuses a second spelling of its URI)'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from set" -s v -l verbose -d 'Say more: `schedule-once` prints its actions on stderr'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from set" -s q -l quiet -d 'Say only errors'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from set" -l no-progress -d 'Never show progress bars or spinners'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from set" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from set" -s V -l version -d 'Print version'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from remove" -l reason -r
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from remove" -l db -d 'The database [default: $XDG_STATE_HOME/vmsched/vmsched.db, or /var/lib/vmsched/vmsched.db as root]' -r -F
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from remove" -l format -d 'Output format of data on stdout' -r -f -a "table\t'Aligned columns for people'
json\t'JSON for scripts'"
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from remove" -l timeout -d 'Seconds allowed to connect to libvirt and for read-only calls' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from remove" -l force -d 'Remove it even with work: stop its worker (a running task is requeued), cancel its queued tasks'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from remove" -s v -l verbose -d 'Say more: `schedule-once` prints its actions on stderr'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from remove" -s q -l quiet -d 'Say only errors'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from remove" -l no-progress -d 'Never show progress bars or spinners'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from remove" -s V -l version -d 'Print version'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from list" -l role -r
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from list" -l status -r
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from list" -l domain -d 'Only instances of this domain' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from list" -l db -d 'The database [default: $XDG_STATE_HOME/vmsched/vmsched.db, or /var/lib/vmsched/vmsched.db as root]' -r -F
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from list" -l format -d 'Output format of data on stdout' -r -f -a "table\t'Aligned columns for people'
json\t'JSON for scripts'"
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from list" -l timeout -d 'Seconds allowed to connect to libvirt and for read-only calls' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from list" -l name -d 'Print names only, one per line'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Say more: `schedule-once` prints its actions on stderr'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Say only errors'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from list" -l no-progress -d 'Never show progress bars or spinners'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from import" -l db -d 'The database [default: $XDG_STATE_HOME/vmsched/vmsched.db, or /var/lib/vmsched/vmsched.db as root]' -r -F
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from import" -l format -d 'Output format of data on stdout' -r -f -a "table\t'Aligned columns for people'
json\t'JSON for scripts'"
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from import" -l timeout -d 'Seconds allowed to connect to libvirt and for read-only calls' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from import" -l prune -d 'Remove VMs the file does not list'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from import" -l dry-run -d 'Show what would change, change nothing'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from import" -l force -d 'Change the uri, domain or snapshot of VMs in use, and with --prune remove VMs even with work (cancels their queued tasks)'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from import" -l no-check -d 'Do not ask libvirt whether the listed domains and snapshots exist, nor learn the domains\' UUIDs (which refuse a second spelling of a URI)'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from import" -s v -l verbose -d 'Say more: `schedule-once` prints its actions on stderr'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from import" -s q -l quiet -d 'Say only errors'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from import" -l no-progress -d 'Never show progress bars or spinners'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from import" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from import" -s V -l version -d 'Print version'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from help" -f -a "add" -d 'Register a VM instance (it starts `off`)'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from help" -f -a "set" -d 'Change a VM instance'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Remove a VM instance'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from help" -f -a "list" -d 'List VM instances'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from help" -f -a "import" -d 'Create and update VMs and host limits from a TOML inventory'
complete -c vmsched -n "__fish_vmsched_using_subcommand vms; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c vmsched -n "__fish_vmsched_using_subcommand hosts; and not __fish_seen_subcommand_from list set help" -l db -d 'The database [default: $XDG_STATE_HOME/vmsched/vmsched.db, or /var/lib/vmsched/vmsched.db as root]' -r -F
complete -c vmsched -n "__fish_vmsched_using_subcommand hosts; and not __fish_seen_subcommand_from list set help" -l format -d 'Output format of data on stdout' -r -f -a "table\t'Aligned columns for people'
json\t'JSON for scripts'"
complete -c vmsched -n "__fish_vmsched_using_subcommand hosts; and not __fish_seen_subcommand_from list set help" -l timeout -d 'Seconds allowed to connect to libvirt and for read-only calls' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand hosts; and not __fish_seen_subcommand_from list set help" -s v -l verbose -d 'Say more: `schedule-once` prints its actions on stderr'
complete -c vmsched -n "__fish_vmsched_using_subcommand hosts; and not __fish_seen_subcommand_from list set help" -s q -l quiet -d 'Say only errors'
complete -c vmsched -n "__fish_vmsched_using_subcommand hosts; and not __fish_seen_subcommand_from list set help" -l no-progress -d 'Never show progress bars or spinners'
complete -c vmsched -n "__fish_vmsched_using_subcommand hosts; and not __fish_seen_subcommand_from list set help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmsched -n "__fish_vmsched_using_subcommand hosts; and not __fish_seen_subcommand_from list set help" -s V -l version -d 'Print version'
complete -c vmsched -n "__fish_vmsched_using_subcommand hosts; and not __fish_seen_subcommand_from list set help" -f -a "list" -d 'Every host key of the inventory with its effective limits'
complete -c vmsched -n "__fish_vmsched_using_subcommand hosts; and not __fish_seen_subcommand_from list set help" -f -a "set" -d 'Set limits of a host, or the global ones with \'*\''
complete -c vmsched -n "__fish_vmsched_using_subcommand hosts; and not __fish_seen_subcommand_from list set help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c vmsched -n "__fish_vmsched_using_subcommand hosts; and __fish_seen_subcommand_from list" -l db -d 'The database [default: $XDG_STATE_HOME/vmsched/vmsched.db, or /var/lib/vmsched/vmsched.db as root]' -r -F
complete -c vmsched -n "__fish_vmsched_using_subcommand hosts; and __fish_seen_subcommand_from list" -l format -d 'Output format of data on stdout' -r -f -a "table\t'Aligned columns for people'
json\t'JSON for scripts'"
complete -c vmsched -n "__fish_vmsched_using_subcommand hosts; and __fish_seen_subcommand_from list" -l timeout -d 'Seconds allowed to connect to libvirt and for read-only calls' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand hosts; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Say more: `schedule-once` prints its actions on stderr'
complete -c vmsched -n "__fish_vmsched_using_subcommand hosts; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Say only errors'
complete -c vmsched -n "__fish_vmsched_using_subcommand hosts; and __fish_seen_subcommand_from list" -l no-progress -d 'Never show progress bars or spinners'
complete -c vmsched -n "__fish_vmsched_using_subcommand hosts; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmsched -n "__fish_vmsched_using_subcommand hosts; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c vmsched -n "__fish_vmsched_using_subcommand hosts; and __fish_seen_subcommand_from set" -l max-active -d 'VMs powered on at once' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand hosts; and __fish_seen_subcommand_from set" -l max-running -d 'Tasks at once (0 = max_active)' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand hosts; and __fish_seen_subcommand_from set" -l max-reverting -d 'Reverts at once while no task runs (0 = max_active)' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand hosts; and __fish_seen_subcommand_from set" -l max-reverts-while-running -d 'Reverts at once while a task runs' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand hosts; and __fish_seen_subcommand_from set" -l max-vms-when-idle -d 'VMs prepared in advance when the host has no queued task' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand hosts; and __fish_seen_subcommand_from set" -l reason -d 'Why (recorded in the history)' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand hosts; and __fish_seen_subcommand_from set" -l db -d 'The database [default: $XDG_STATE_HOME/vmsched/vmsched.db, or /var/lib/vmsched/vmsched.db as root]' -r -F
complete -c vmsched -n "__fish_vmsched_using_subcommand hosts; and __fish_seen_subcommand_from set" -l format -d 'Output format of data on stdout' -r -f -a "table\t'Aligned columns for people'
json\t'JSON for scripts'"
complete -c vmsched -n "__fish_vmsched_using_subcommand hosts; and __fish_seen_subcommand_from set" -l timeout -d 'Seconds allowed to connect to libvirt and for read-only calls' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand hosts; and __fish_seen_subcommand_from set" -l paused -d 'Drain the host: no starts or reverts'
complete -c vmsched -n "__fish_vmsched_using_subcommand hosts; and __fish_seen_subcommand_from set" -l resume -d 'Undo --paused'
complete -c vmsched -n "__fish_vmsched_using_subcommand hosts; and __fish_seen_subcommand_from set" -l reset -d 'Forget the host\'s overrides and paused flag first (then set the ones given)'
complete -c vmsched -n "__fish_vmsched_using_subcommand hosts; and __fish_seen_subcommand_from set" -s v -l verbose -d 'Say more: `schedule-once` prints its actions on stderr'
complete -c vmsched -n "__fish_vmsched_using_subcommand hosts; and __fish_seen_subcommand_from set" -s q -l quiet -d 'Say only errors'
complete -c vmsched -n "__fish_vmsched_using_subcommand hosts; and __fish_seen_subcommand_from set" -l no-progress -d 'Never show progress bars or spinners'
complete -c vmsched -n "__fish_vmsched_using_subcommand hosts; and __fish_seen_subcommand_from set" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmsched -n "__fish_vmsched_using_subcommand hosts; and __fish_seen_subcommand_from set" -s V -l version -d 'Print version'
complete -c vmsched -n "__fish_vmsched_using_subcommand hosts; and __fish_seen_subcommand_from help" -f -a "list" -d 'Every host key of the inventory with its effective limits'
complete -c vmsched -n "__fish_vmsched_using_subcommand hosts; and __fish_seen_subcommand_from help" -f -a "set" -d 'Set limits of a host, or the global ones with \'*\''
complete -c vmsched -n "__fish_vmsched_using_subcommand hosts; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c vmsched -n "__fish_vmsched_using_subcommand settings; and not __fish_seen_subcommand_from list set help" -l db -d 'The database [default: $XDG_STATE_HOME/vmsched/vmsched.db, or /var/lib/vmsched/vmsched.db as root]' -r -F
complete -c vmsched -n "__fish_vmsched_using_subcommand settings; and not __fish_seen_subcommand_from list set help" -l format -d 'Output format of data on stdout' -r -f -a "table\t'Aligned columns for people'
json\t'JSON for scripts'"
complete -c vmsched -n "__fish_vmsched_using_subcommand settings; and not __fish_seen_subcommand_from list set help" -l timeout -d 'Seconds allowed to connect to libvirt and for read-only calls' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand settings; and not __fish_seen_subcommand_from list set help" -s v -l verbose -d 'Say more: `schedule-once` prints its actions on stderr'
complete -c vmsched -n "__fish_vmsched_using_subcommand settings; and not __fish_seen_subcommand_from list set help" -s q -l quiet -d 'Say only errors'
complete -c vmsched -n "__fish_vmsched_using_subcommand settings; and not __fish_seen_subcommand_from list set help" -l no-progress -d 'Never show progress bars or spinners'
complete -c vmsched -n "__fish_vmsched_using_subcommand settings; and not __fish_seen_subcommand_from list set help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmsched -n "__fish_vmsched_using_subcommand settings; and not __fish_seen_subcommand_from list set help" -s V -l version -d 'Print version'
complete -c vmsched -n "__fish_vmsched_using_subcommand settings; and not __fish_seen_subcommand_from list set help" -f -a "list" -d 'Every setting with its value and default'
complete -c vmsched -n "__fish_vmsched_using_subcommand settings; and not __fish_seen_subcommand_from list set help" -f -a "set" -d 'Change a setting'
complete -c vmsched -n "__fish_vmsched_using_subcommand settings; and not __fish_seen_subcommand_from list set help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c vmsched -n "__fish_vmsched_using_subcommand settings; and __fish_seen_subcommand_from list" -l db -d 'The database [default: $XDG_STATE_HOME/vmsched/vmsched.db, or /var/lib/vmsched/vmsched.db as root]' -r -F
complete -c vmsched -n "__fish_vmsched_using_subcommand settings; and __fish_seen_subcommand_from list" -l format -d 'Output format of data on stdout' -r -f -a "table\t'Aligned columns for people'
json\t'JSON for scripts'"
complete -c vmsched -n "__fish_vmsched_using_subcommand settings; and __fish_seen_subcommand_from list" -l timeout -d 'Seconds allowed to connect to libvirt and for read-only calls' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand settings; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Say more: `schedule-once` prints its actions on stderr'
complete -c vmsched -n "__fish_vmsched_using_subcommand settings; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Say only errors'
complete -c vmsched -n "__fish_vmsched_using_subcommand settings; and __fish_seen_subcommand_from list" -l no-progress -d 'Never show progress bars or spinners'
complete -c vmsched -n "__fish_vmsched_using_subcommand settings; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmsched -n "__fish_vmsched_using_subcommand settings; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c vmsched -n "__fish_vmsched_using_subcommand settings; and __fish_seen_subcommand_from set" -l reason -d 'Why (recorded in the history)' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand settings; and __fish_seen_subcommand_from set" -l db -d 'The database [default: $XDG_STATE_HOME/vmsched/vmsched.db, or /var/lib/vmsched/vmsched.db as root]' -r -F
complete -c vmsched -n "__fish_vmsched_using_subcommand settings; and __fish_seen_subcommand_from set" -l format -d 'Output format of data on stdout' -r -f -a "table\t'Aligned columns for people'
json\t'JSON for scripts'"
complete -c vmsched -n "__fish_vmsched_using_subcommand settings; and __fish_seen_subcommand_from set" -l timeout -d 'Seconds allowed to connect to libvirt and for read-only calls' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand settings; and __fish_seen_subcommand_from set" -s v -l verbose -d 'Say more: `schedule-once` prints its actions on stderr'
complete -c vmsched -n "__fish_vmsched_using_subcommand settings; and __fish_seen_subcommand_from set" -s q -l quiet -d 'Say only errors'
complete -c vmsched -n "__fish_vmsched_using_subcommand settings; and __fish_seen_subcommand_from set" -l no-progress -d 'Never show progress bars or spinners'
complete -c vmsched -n "__fish_vmsched_using_subcommand settings; and __fish_seen_subcommand_from set" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmsched -n "__fish_vmsched_using_subcommand settings; and __fish_seen_subcommand_from set" -s V -l version -d 'Print version'
complete -c vmsched -n "__fish_vmsched_using_subcommand settings; and __fish_seen_subcommand_from help" -f -a "list" -d 'Every setting with its value and default'
complete -c vmsched -n "__fish_vmsched_using_subcommand settings; and __fish_seen_subcommand_from help" -f -a "set" -d 'Change a setting'
complete -c vmsched -n "__fish_vmsched_using_subcommand settings; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and not __fish_seen_subcommand_from submit list show cancel wait log help" -l db -d 'The database [default: $XDG_STATE_HOME/vmsched/vmsched.db, or /var/lib/vmsched/vmsched.db as root]' -r -F
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and not __fish_seen_subcommand_from submit list show cancel wait log help" -l format -d 'Output format of data on stdout' -r -f -a "table\t'Aligned columns for people'
json\t'JSON for scripts'"
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and not __fish_seen_subcommand_from submit list show cancel wait log help" -l timeout -d 'Seconds allowed to connect to libvirt and for read-only calls' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and not __fish_seen_subcommand_from submit list show cancel wait log help" -s v -l verbose -d 'Say more: `schedule-once` prints its actions on stderr'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and not __fish_seen_subcommand_from submit list show cancel wait log help" -s q -l quiet -d 'Say only errors'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and not __fish_seen_subcommand_from submit list show cancel wait log help" -l no-progress -d 'Never show progress bars or spinners'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and not __fish_seen_subcommand_from submit list show cancel wait log help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and not __fish_seen_subcommand_from submit list show cancel wait log help" -s V -l version -d 'Print version'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and not __fish_seen_subcommand_from submit list show cancel wait log help" -f -a "submit" -d 'Submit a job: one command on some VMs, or several steps from a file'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and not __fish_seen_subcommand_from submit list show cancel wait log help" -f -a "list" -d 'List jobs'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and not __fish_seen_subcommand_from submit list show cancel wait log help" -f -a "show" -d 'Show a job\'s steps and tasks'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and not __fish_seen_subcommand_from submit list show cancel wait log help" -f -a "cancel" -d 'Cancel a job\'s queued tasks and stop its running ones'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and not __fish_seen_subcommand_from submit list show cancel wait log help" -f -a "wait" -d 'Wait for a job to end (exit 0 when it completed)'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and not __fish_seen_subcommand_from submit list show cancel wait log help" -f -a "log" -d 'Print a job\'s task logs'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and not __fish_seen_subcommand_from submit list show cancel wait log help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from submit" -l vm -d 'A VM to run the command on (repeatable)' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from submit" -l file -d 'The job file (TOML) with steps' -r -F
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from submit" -l priority -d 'Niceness: lower runs first [default: 5, or the file\'s]' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from submit" -l task-timeout -d 'Task timeout in seconds [default: 300] (`--timeout` is libvirt\'s)' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from submit" -l user -d 'Who submits (default: SUDO_USER, else USER)' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from submit" -l remarks -d 'Free text shown in listings [default: the file\'s]' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from submit" -l db -d 'The database [default: $XDG_STATE_HOME/vmsched/vmsched.db, or /var/lib/vmsched/vmsched.db as root]' -r -F
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from submit" -l format -d 'Output format of data on stdout' -r -f -a "table\t'Aligned columns for people'
json\t'JSON for scripts'"
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from submit" -l timeout -d 'Seconds allowed to connect to libvirt and for read-only calls' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from submit" -s v -l verbose -d 'Say more: `schedule-once` prints its actions on stderr'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from submit" -s q -l quiet -d 'Say only errors'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from submit" -l no-progress -d 'Never show progress bars or spinners'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from submit" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from submit" -s V -l version -d 'Print version'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from list" -l status -d 'Only jobs of this status' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from list" -l user -d 'Only jobs of this user' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from list" -l since -d 'Jobs still open and those ended since a duration ago (seconds or <n>[smhd]) or an RFC 3339 time [default: 24h]' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from list" -l limit -d 'At most this many jobs, the newest' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from list" -l db -d 'The database [default: $XDG_STATE_HOME/vmsched/vmsched.db, or /var/lib/vmsched/vmsched.db as root]' -r -F
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from list" -l format -d 'Output format of data on stdout' -r -f -a "table\t'Aligned columns for people'
json\t'JSON for scripts'"
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from list" -l timeout -d 'Seconds allowed to connect to libvirt and for read-only calls' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from list" -l all -d 'Every job, however long ago it ended'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Say more: `schedule-once` prints its actions on stderr'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Say only errors'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from list" -l no-progress -d 'Never show progress bars or spinners'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from show" -l db -d 'The database [default: $XDG_STATE_HOME/vmsched/vmsched.db, or /var/lib/vmsched/vmsched.db as root]' -r -F
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from show" -l format -d 'Output format of data on stdout' -r -f -a "table\t'Aligned columns for people'
json\t'JSON for scripts'"
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from show" -l timeout -d 'Seconds allowed to connect to libvirt and for read-only calls' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Say more: `schedule-once` prints its actions on stderr'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Say only errors'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from show" -l no-progress -d 'Never show progress bars or spinners'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from cancel" -l reason -d 'Why (recorded in the history)' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from cancel" -l db -d 'The database [default: $XDG_STATE_HOME/vmsched/vmsched.db, or /var/lib/vmsched/vmsched.db as root]' -r -F
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from cancel" -l format -d 'Output format of data on stdout' -r -f -a "table\t'Aligned columns for people'
json\t'JSON for scripts'"
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from cancel" -l timeout -d 'Seconds allowed to connect to libvirt and for read-only calls' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from cancel" -s v -l verbose -d 'Say more: `schedule-once` prints its actions on stderr'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from cancel" -s q -l quiet -d 'Say only errors'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from cancel" -l no-progress -d 'Never show progress bars or spinners'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from cancel" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from cancel" -s V -l version -d 'Print version'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from wait" -l max-wait -d 'Give up after this many seconds (exit 1)' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from wait" -l db -d 'The database [default: $XDG_STATE_HOME/vmsched/vmsched.db, or /var/lib/vmsched/vmsched.db as root]' -r -F
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from wait" -l format -d 'Output format of data on stdout' -r -f -a "table\t'Aligned columns for people'
json\t'JSON for scripts'"
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from wait" -l timeout -d 'Seconds allowed to connect to libvirt and for read-only calls' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from wait" -s v -l verbose -d 'Say more: `schedule-once` prints its actions on stderr'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from wait" -s q -l quiet -d 'Say only errors'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from wait" -l no-progress -d 'Never show progress bars or spinners'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from wait" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from wait" -s V -l version -d 'Print version'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from log" -l db -d 'The database [default: $XDG_STATE_HOME/vmsched/vmsched.db, or /var/lib/vmsched/vmsched.db as root]' -r -F
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from log" -l format -d 'Output format of data on stdout' -r -f -a "table\t'Aligned columns for people'
json\t'JSON for scripts'"
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from log" -l timeout -d 'Seconds allowed to connect to libvirt and for read-only calls' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from log" -s v -l verbose -d 'Say more: `schedule-once` prints its actions on stderr'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from log" -s q -l quiet -d 'Say only errors'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from log" -l no-progress -d 'Never show progress bars or spinners'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from log" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from log" -s V -l version -d 'Print version'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from help" -f -a "submit" -d 'Submit a job: one command on some VMs, or several steps from a file'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from help" -f -a "list" -d 'List jobs'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show a job\'s steps and tasks'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from help" -f -a "cancel" -d 'Cancel a job\'s queued tasks and stop its running ones'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from help" -f -a "wait" -d 'Wait for a job to end (exit 0 when it completed)'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from help" -f -a "log" -d 'Print a job\'s task logs'
complete -c vmsched -n "__fish_vmsched_using_subcommand jobs; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c vmsched -n "__fish_vmsched_using_subcommand domains; and not __fish_seen_subcommand_from show help" -l db -d 'The database [default: $XDG_STATE_HOME/vmsched/vmsched.db, or /var/lib/vmsched/vmsched.db as root]' -r -F
complete -c vmsched -n "__fish_vmsched_using_subcommand domains; and not __fish_seen_subcommand_from show help" -l format -d 'Output format of data on stdout' -r -f -a "table\t'Aligned columns for people'
json\t'JSON for scripts'"
complete -c vmsched -n "__fish_vmsched_using_subcommand domains; and not __fish_seen_subcommand_from show help" -l timeout -d 'Seconds allowed to connect to libvirt and for read-only calls' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand domains; and not __fish_seen_subcommand_from show help" -s v -l verbose -d 'Say more: `schedule-once` prints its actions on stderr'
complete -c vmsched -n "__fish_vmsched_using_subcommand domains; and not __fish_seen_subcommand_from show help" -s q -l quiet -d 'Say only errors'
complete -c vmsched -n "__fish_vmsched_using_subcommand domains; and not __fish_seen_subcommand_from show help" -l no-progress -d 'Never show progress bars or spinners'
complete -c vmsched -n "__fish_vmsched_using_subcommand domains; and not __fish_seen_subcommand_from show help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmsched -n "__fish_vmsched_using_subcommand domains; and not __fish_seen_subcommand_from show help" -s V -l version -d 'Print version'
complete -c vmsched -n "__fish_vmsched_using_subcommand domains; and not __fish_seen_subcommand_from show help" -f -a "show" -d 'One entry per domain: instances, owner, live state and a verdict'
complete -c vmsched -n "__fish_vmsched_using_subcommand domains; and not __fish_seen_subcommand_from show help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c vmsched -n "__fish_vmsched_using_subcommand domains; and __fish_seen_subcommand_from show" -l host -d 'Only this host key' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand domains; and __fish_seen_subcommand_from show" -l domain -d 'Only this domain' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand domains; and __fish_seen_subcommand_from show" -l db -d 'The database [default: $XDG_STATE_HOME/vmsched/vmsched.db, or /var/lib/vmsched/vmsched.db as root]' -r -F
complete -c vmsched -n "__fish_vmsched_using_subcommand domains; and __fish_seen_subcommand_from show" -l format -d 'Output format of data on stdout' -r -f -a "table\t'Aligned columns for people'
json\t'JSON for scripts'"
complete -c vmsched -n "__fish_vmsched_using_subcommand domains; and __fish_seen_subcommand_from show" -l timeout -d 'Seconds allowed to connect to libvirt and for read-only calls' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand domains; and __fish_seen_subcommand_from show" -l no-live -d 'Do not ask libvirt'
complete -c vmsched -n "__fish_vmsched_using_subcommand domains; and __fish_seen_subcommand_from show" -l check -d 'Exit 1 when any verdict is neither ok nor free'
complete -c vmsched -n "__fish_vmsched_using_subcommand domains; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Say more: `schedule-once` prints its actions on stderr'
complete -c vmsched -n "__fish_vmsched_using_subcommand domains; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Say only errors'
complete -c vmsched -n "__fish_vmsched_using_subcommand domains; and __fish_seen_subcommand_from show" -l no-progress -d 'Never show progress bars or spinners'
complete -c vmsched -n "__fish_vmsched_using_subcommand domains; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmsched -n "__fish_vmsched_using_subcommand domains; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c vmsched -n "__fish_vmsched_using_subcommand domains; and __fish_seen_subcommand_from help" -f -a "show" -d 'One entry per domain: instances, owner, live state and a verdict'
complete -c vmsched -n "__fish_vmsched_using_subcommand domains; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c vmsched -n "__fish_vmsched_using_subcommand revert" -l reason -d 'Why (recorded in the history)' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand revert" -l db -d 'The database [default: $XDG_STATE_HOME/vmsched/vmsched.db, or /var/lib/vmsched/vmsched.db as root]' -r -F
complete -c vmsched -n "__fish_vmsched_using_subcommand revert" -l format -d 'Output format of data on stdout' -r -f -a "table\t'Aligned columns for people'
json\t'JSON for scripts'"
complete -c vmsched -n "__fish_vmsched_using_subcommand revert" -l timeout -d 'Seconds allowed to connect to libvirt and for read-only calls' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand revert" -l steal -d 'Take the domain from an idle, dirty or sleeping sibling (it becomes off)'
complete -c vmsched -n "__fish_vmsched_using_subcommand revert" -l force -d 'Also take it from a busy owner, or stop the VM\'s own live operation (its task is requeued without using a try); implies --steal'
complete -c vmsched -n "__fish_vmsched_using_subcommand revert" -s v -l verbose -d 'Say more: `schedule-once` prints its actions on stderr'
complete -c vmsched -n "__fish_vmsched_using_subcommand revert" -s q -l quiet -d 'Say only errors'
complete -c vmsched -n "__fish_vmsched_using_subcommand revert" -l no-progress -d 'Never show progress bars or spinners'
complete -c vmsched -n "__fish_vmsched_using_subcommand revert" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmsched -n "__fish_vmsched_using_subcommand revert" -s V -l version -d 'Print version'
complete -c vmsched -n "__fish_vmsched_using_subcommand poweroff" -l reason -d 'Why (recorded in the history)' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand poweroff" -l db -d 'The database [default: $XDG_STATE_HOME/vmsched/vmsched.db, or /var/lib/vmsched/vmsched.db as root]' -r -F
complete -c vmsched -n "__fish_vmsched_using_subcommand poweroff" -l format -d 'Output format of data on stdout' -r -f -a "table\t'Aligned columns for people'
json\t'JSON for scripts'"
complete -c vmsched -n "__fish_vmsched_using_subcommand poweroff" -l timeout -d 'Seconds allowed to connect to libvirt and for read-only calls' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand poweroff" -l force -d 'Power off even when a sibling owns the domain (it becomes off) or an operation is live (stopped, its task requeued without using a try)'
complete -c vmsched -n "__fish_vmsched_using_subcommand poweroff" -s v -l verbose -d 'Say more: `schedule-once` prints its actions on stderr'
complete -c vmsched -n "__fish_vmsched_using_subcommand poweroff" -s q -l quiet -d 'Say only errors'
complete -c vmsched -n "__fish_vmsched_using_subcommand poweroff" -l no-progress -d 'Never show progress bars or spinners'
complete -c vmsched -n "__fish_vmsched_using_subcommand poweroff" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmsched -n "__fish_vmsched_using_subcommand poweroff" -s V -l version -d 'Print version'
complete -c vmsched -n "__fish_vmsched_using_subcommand schedule-once" -l state -d 'Plan from this state file instead of the database (implies --dry-run)' -r -F
complete -c vmsched -n "__fish_vmsched_using_subcommand schedule-once" -l lock-timeout -d 'Seconds to wait for another pass\'s lock [default: setting lock_timeout]' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand schedule-once" -l db -d 'The database [default: $XDG_STATE_HOME/vmsched/vmsched.db, or /var/lib/vmsched/vmsched.db as root]' -r -F
complete -c vmsched -n "__fish_vmsched_using_subcommand schedule-once" -l format -d 'Output format of data on stdout' -r -f -a "table\t'Aligned columns for people'
json\t'JSON for scripts'"
complete -c vmsched -n "__fish_vmsched_using_subcommand schedule-once" -l timeout -d 'Seconds allowed to connect to libvirt and for read-only calls' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand schedule-once" -l dry-run -d 'Print the plan and change nothing'
complete -c vmsched -n "__fish_vmsched_using_subcommand schedule-once" -l wait -d 'Wait for the started workers to end'
complete -c vmsched -n "__fish_vmsched_using_subcommand schedule-once" -l event -d 'A pass started after a change: detached, silent, gone at once if the lock is held'
complete -c vmsched -n "__fish_vmsched_using_subcommand schedule-once" -s v -l verbose -d 'Say more: `schedule-once` prints its actions on stderr'
complete -c vmsched -n "__fish_vmsched_using_subcommand schedule-once" -s q -l quiet -d 'Say only errors'
complete -c vmsched -n "__fish_vmsched_using_subcommand schedule-once" -l no-progress -d 'Never show progress bars or spinners'
complete -c vmsched -n "__fish_vmsched_using_subcommand schedule-once" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmsched -n "__fish_vmsched_using_subcommand schedule-once" -s V -l version -d 'Print version'
complete -c vmsched -n "__fish_vmsched_using_subcommand state; and not __fish_seen_subcommand_from export help" -l db -d 'The database [default: $XDG_STATE_HOME/vmsched/vmsched.db, or /var/lib/vmsched/vmsched.db as root]' -r -F
complete -c vmsched -n "__fish_vmsched_using_subcommand state; and not __fish_seen_subcommand_from export help" -l format -d 'Output format of data on stdout' -r -f -a "table\t'Aligned columns for people'
json\t'JSON for scripts'"
complete -c vmsched -n "__fish_vmsched_using_subcommand state; and not __fish_seen_subcommand_from export help" -l timeout -d 'Seconds allowed to connect to libvirt and for read-only calls' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand state; and not __fish_seen_subcommand_from export help" -s v -l verbose -d 'Say more: `schedule-once` prints its actions on stderr'
complete -c vmsched -n "__fish_vmsched_using_subcommand state; and not __fish_seen_subcommand_from export help" -s q -l quiet -d 'Say only errors'
complete -c vmsched -n "__fish_vmsched_using_subcommand state; and not __fish_seen_subcommand_from export help" -l no-progress -d 'Never show progress bars or spinners'
complete -c vmsched -n "__fish_vmsched_using_subcommand state; and not __fish_seen_subcommand_from export help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmsched -n "__fish_vmsched_using_subcommand state; and not __fish_seen_subcommand_from export help" -s V -l version -d 'Print version'
complete -c vmsched -n "__fish_vmsched_using_subcommand state; and not __fish_seen_subcommand_from export help" -f -a "export" -d 'Write the live state as a state file (JSON) on stdout'
complete -c vmsched -n "__fish_vmsched_using_subcommand state; and not __fish_seen_subcommand_from export help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c vmsched -n "__fish_vmsched_using_subcommand state; and __fish_seen_subcommand_from export" -l db -d 'The database [default: $XDG_STATE_HOME/vmsched/vmsched.db, or /var/lib/vmsched/vmsched.db as root]' -r -F
complete -c vmsched -n "__fish_vmsched_using_subcommand state; and __fish_seen_subcommand_from export" -l format -d 'Output format of data on stdout' -r -f -a "table\t'Aligned columns for people'
json\t'JSON for scripts'"
complete -c vmsched -n "__fish_vmsched_using_subcommand state; and __fish_seen_subcommand_from export" -l timeout -d 'Seconds allowed to connect to libvirt and for read-only calls' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand state; and __fish_seen_subcommand_from export" -s v -l verbose -d 'Say more: `schedule-once` prints its actions on stderr'
complete -c vmsched -n "__fish_vmsched_using_subcommand state; and __fish_seen_subcommand_from export" -s q -l quiet -d 'Say only errors'
complete -c vmsched -n "__fish_vmsched_using_subcommand state; and __fish_seen_subcommand_from export" -l no-progress -d 'Never show progress bars or spinners'
complete -c vmsched -n "__fish_vmsched_using_subcommand state; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmsched -n "__fish_vmsched_using_subcommand state; and __fish_seen_subcommand_from export" -s V -l version -d 'Print version'
complete -c vmsched -n "__fish_vmsched_using_subcommand state; and __fish_seen_subcommand_from help" -f -a "export" -d 'Write the live state as a state file (JSON) on stdout'
complete -c vmsched -n "__fish_vmsched_using_subcommand state; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c vmsched -n "__fish_vmsched_using_subcommand history" -l vm -d 'Only this VM\'s rows (a removed VM\'s too)' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand history" -l since -d 'Since a duration ago (seconds or <n>[smhd]) or an RFC 3339 time' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand history" -l limit -d 'At most this many rows, the newest [default: 50]' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand history" -l db -d 'The database [default: $XDG_STATE_HOME/vmsched/vmsched.db, or /var/lib/vmsched/vmsched.db as root]' -r -F
complete -c vmsched -n "__fish_vmsched_using_subcommand history" -l format -d 'Output format of data on stdout' -r -f -a "table\t'Aligned columns for people'
json\t'JSON for scripts'"
complete -c vmsched -n "__fish_vmsched_using_subcommand history" -l timeout -d 'Seconds allowed to connect to libvirt and for read-only calls' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand history" -l all -d 'Every matching row, however many'
complete -c vmsched -n "__fish_vmsched_using_subcommand history" -s v -l verbose -d 'Say more: `schedule-once` prints its actions on stderr'
complete -c vmsched -n "__fish_vmsched_using_subcommand history" -s q -l quiet -d 'Say only errors'
complete -c vmsched -n "__fish_vmsched_using_subcommand history" -l no-progress -d 'Never show progress bars or spinners'
complete -c vmsched -n "__fish_vmsched_using_subcommand history" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmsched -n "__fish_vmsched_using_subcommand history" -s V -l version -d 'Print version'
complete -c vmsched -n "__fish_vmsched_using_subcommand migrate" -l db -d 'The database [default: $XDG_STATE_HOME/vmsched/vmsched.db, or /var/lib/vmsched/vmsched.db as root]' -r -F
complete -c vmsched -n "__fish_vmsched_using_subcommand migrate" -l format -d 'Output format of data on stdout' -r -f -a "table\t'Aligned columns for people'
json\t'JSON for scripts'"
complete -c vmsched -n "__fish_vmsched_using_subcommand migrate" -l timeout -d 'Seconds allowed to connect to libvirt and for read-only calls' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand migrate" -l force -d 'Migrate even while operations are live'
complete -c vmsched -n "__fish_vmsched_using_subcommand migrate" -s v -l verbose -d 'Say more: `schedule-once` prints its actions on stderr'
complete -c vmsched -n "__fish_vmsched_using_subcommand migrate" -s q -l quiet -d 'Say only errors'
complete -c vmsched -n "__fish_vmsched_using_subcommand migrate" -l no-progress -d 'Never show progress bars or spinners'
complete -c vmsched -n "__fish_vmsched_using_subcommand migrate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmsched -n "__fish_vmsched_using_subcommand migrate" -s V -l version -d 'Print version'
complete -c vmsched -n "__fish_vmsched_using_subcommand purge" -l older-than -d 'What ended (jobs, operations) or was written (history) longer ago than this: seconds or <n>[smhd], e.g. 90d' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand purge" -l reason -d 'Why (recorded in the history)' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand purge" -l db -d 'The database [default: $XDG_STATE_HOME/vmsched/vmsched.db, or /var/lib/vmsched/vmsched.db as root]' -r -F
complete -c vmsched -n "__fish_vmsched_using_subcommand purge" -l format -d 'Output format of data on stdout' -r -f -a "table\t'Aligned columns for people'
json\t'JSON for scripts'"
complete -c vmsched -n "__fish_vmsched_using_subcommand purge" -l timeout -d 'Seconds allowed to connect to libvirt and for read-only calls' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand purge" -l dry-run -d 'Only say what would be removed'
complete -c vmsched -n "__fish_vmsched_using_subcommand purge" -l vacuum -d 'Then give the freed space back to the file system, a little at a time'
complete -c vmsched -n "__fish_vmsched_using_subcommand purge" -s v -l verbose -d 'Say more: `schedule-once` prints its actions on stderr'
complete -c vmsched -n "__fish_vmsched_using_subcommand purge" -s q -l quiet -d 'Say only errors'
complete -c vmsched -n "__fish_vmsched_using_subcommand purge" -l no-progress -d 'Never show progress bars or spinners'
complete -c vmsched -n "__fish_vmsched_using_subcommand purge" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmsched -n "__fish_vmsched_using_subcommand purge" -s V -l version -d 'Print version'
complete -c vmsched -n "__fish_vmsched_using_subcommand demo" -s c -l uri -d 'libvirt URI to use instead of finding one (qemu:///system, else test+unix:///default)' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand demo" -l db -d 'The database [default: $XDG_STATE_HOME/vmsched/vmsched.db, or /var/lib/vmsched/vmsched.db as root]' -r -F
complete -c vmsched -n "__fish_vmsched_using_subcommand demo" -l format -d 'Output format of data on stdout' -r -f -a "table\t'Aligned columns for people'
json\t'JSON for scripts'"
complete -c vmsched -n "__fish_vmsched_using_subcommand demo" -l timeout -d 'Seconds allowed to connect to libvirt and for read-only calls' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand demo" -l clean -d 'Remove what the demo created and stop'
complete -c vmsched -n "__fish_vmsched_using_subcommand demo" -l check-task -d 'Run as a demo task: check the domain\'s current snapshot (from VMSCHED_* variables)'
complete -c vmsched -n "__fish_vmsched_using_subcommand demo" -s v -l verbose -d 'Say more: `schedule-once` prints its actions on stderr'
complete -c vmsched -n "__fish_vmsched_using_subcommand demo" -s q -l quiet -d 'Say only errors'
complete -c vmsched -n "__fish_vmsched_using_subcommand demo" -l no-progress -d 'Never show progress bars or spinners'
complete -c vmsched -n "__fish_vmsched_using_subcommand demo" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmsched -n "__fish_vmsched_using_subcommand demo" -s V -l version -d 'Print version'
complete -c vmsched -n "__fish_vmsched_using_subcommand completions" -l db -d 'The database [default: $XDG_STATE_HOME/vmsched/vmsched.db, or /var/lib/vmsched/vmsched.db as root]' -r -F
complete -c vmsched -n "__fish_vmsched_using_subcommand completions" -l format -d 'Output format of data on stdout' -r -f -a "table\t'Aligned columns for people'
json\t'JSON for scripts'"
complete -c vmsched -n "__fish_vmsched_using_subcommand completions" -l timeout -d 'Seconds allowed to connect to libvirt and for read-only calls' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand completions" -s v -l verbose -d 'Say more: `schedule-once` prints its actions on stderr'
complete -c vmsched -n "__fish_vmsched_using_subcommand completions" -s q -l quiet -d 'Say only errors'
complete -c vmsched -n "__fish_vmsched_using_subcommand completions" -l no-progress -d 'Never show progress bars or spinners'
complete -c vmsched -n "__fish_vmsched_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmsched -n "__fish_vmsched_using_subcommand completions" -s V -l version -d 'Print version'
complete -c vmsched -n "__fish_vmsched_using_subcommand man" -l db -d 'The database [default: $XDG_STATE_HOME/vmsched/vmsched.db, or /var/lib/vmsched/vmsched.db as root]' -r -F
complete -c vmsched -n "__fish_vmsched_using_subcommand man" -l format -d 'Output format of data on stdout' -r -f -a "table\t'Aligned columns for people'
json\t'JSON for scripts'"
complete -c vmsched -n "__fish_vmsched_using_subcommand man" -l timeout -d 'Seconds allowed to connect to libvirt and for read-only calls' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand man" -s v -l verbose -d 'Say more: `schedule-once` prints its actions on stderr'
complete -c vmsched -n "__fish_vmsched_using_subcommand man" -s q -l quiet -d 'Say only errors'
complete -c vmsched -n "__fish_vmsched_using_subcommand man" -l no-progress -d 'Never show progress bars or spinners'
complete -c vmsched -n "__fish_vmsched_using_subcommand man" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmsched -n "__fish_vmsched_using_subcommand man" -s V -l version -d 'Print version'
complete -c vmsched -n "__fish_vmsched_using_subcommand worker" -l db -d 'The database [default: $XDG_STATE_HOME/vmsched/vmsched.db, or /var/lib/vmsched/vmsched.db as root]' -r -F
complete -c vmsched -n "__fish_vmsched_using_subcommand worker" -l format -d 'Output format of data on stdout' -r -f -a "table\t'Aligned columns for people'
json\t'JSON for scripts'"
complete -c vmsched -n "__fish_vmsched_using_subcommand worker" -l timeout -d 'Seconds allowed to connect to libvirt and for read-only calls' -r
complete -c vmsched -n "__fish_vmsched_using_subcommand worker" -l check -d 'Only say whether the operation\'s domain runs its VM\'s snapshot (`ok` or `mismatch ...`)'
complete -c vmsched -n "__fish_vmsched_using_subcommand worker" -s v -l verbose -d 'Say more: `schedule-once` prints its actions on stderr'
complete -c vmsched -n "__fish_vmsched_using_subcommand worker" -s q -l quiet -d 'Say only errors'
complete -c vmsched -n "__fish_vmsched_using_subcommand worker" -l no-progress -d 'Never show progress bars or spinners'
complete -c vmsched -n "__fish_vmsched_using_subcommand worker" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vmsched -n "__fish_vmsched_using_subcommand worker" -s V -l version -d 'Print version'
complete -c vmsched -n "__fish_vmsched_using_subcommand help; and not __fish_seen_subcommand_from vms hosts settings jobs domains revert poweroff schedule-once state history migrate purge demo completions man worker help" -f -a "vms" -d 'Manage VM instances'
complete -c vmsched -n "__fish_vmsched_using_subcommand help; and not __fish_seen_subcommand_from vms hosts settings jobs domains revert poweroff schedule-once state history migrate purge demo completions man worker help" -f -a "hosts" -d 'Show and set per-host limits'
complete -c vmsched -n "__fish_vmsched_using_subcommand help; and not __fish_seen_subcommand_from vms hosts settings jobs domains revert poweroff schedule-once state history migrate purge demo completions man worker help" -f -a "settings" -d 'Show and change settings'
complete -c vmsched -n "__fish_vmsched_using_subcommand help; and not __fish_seen_subcommand_from vms hosts settings jobs domains revert poweroff schedule-once state history migrate purge demo completions man worker help" -f -a "jobs" -d 'Submit, list and follow jobs'
complete -c vmsched -n "__fish_vmsched_using_subcommand help; and not __fish_seen_subcommand_from vms hosts settings jobs domains revert poweroff schedule-once state history migrate purge demo completions man worker help" -f -a "domains" -d 'Show shared domains, their owner and what libvirt says'
complete -c vmsched -n "__fish_vmsched_using_subcommand help; and not __fish_seen_subcommand_from vms hosts settings jobs domains revert poweroff schedule-once state history migrate purge demo completions man worker help" -f -a "revert" -d 'Revert a VM to its snapshot now, in the foreground (Ctrl-C leaves it offline)'
complete -c vmsched -n "__fish_vmsched_using_subcommand help; and not __fish_seen_subcommand_from vms hosts settings jobs domains revert poweroff schedule-once state history migrate purge demo completions man worker help" -f -a "poweroff" -d 'Power a VM\'s domain off now, in the foreground (Ctrl-C leaves it offline)'
complete -c vmsched -n "__fish_vmsched_using_subcommand help; and not __fish_seen_subcommand_from vms hosts settings jobs domains revert poweroff schedule-once state history migrate purge demo completions man worker help" -f -a "schedule-once" -d 'Run one scheduling pass (what cron runs every minute)'
complete -c vmsched -n "__fish_vmsched_using_subcommand help; and not __fish_seen_subcommand_from vms hosts settings jobs domains revert poweroff schedule-once state history migrate purge demo completions man worker help" -f -a "state" -d 'Export the live scheduling state'
complete -c vmsched -n "__fish_vmsched_using_subcommand help; and not __fish_seen_subcommand_from vms hosts settings jobs domains revert poweroff schedule-once state history migrate purge demo completions man worker help" -f -a "history" -d 'Show the history of status changes and decisions'
complete -c vmsched -n "__fish_vmsched_using_subcommand help; and not __fish_seen_subcommand_from vms hosts settings jobs domains revert poweroff schedule-once state history migrate purge demo completions man worker help" -f -a "migrate" -d 'Migrate the database to this version\'s schema'
complete -c vmsched -n "__fish_vmsched_using_subcommand help; and not __fish_seen_subcommand_from vms hosts settings jobs domains revert poweroff schedule-once state history migrate purge demo completions man worker help" -f -a "purge" -d 'Remove ended jobs, their logs and the history older than a duration'
complete -c vmsched -n "__fish_vmsched_using_subcommand help; and not __fish_seen_subcommand_from vms hosts settings jobs domains revert poweroff schedule-once state history migrate purge demo completions man worker help" -f -a "demo" -d 'Run the demo: a small lab on a local hypervisor, jobs, passes until done'
complete -c vmsched -n "__fish_vmsched_using_subcommand help; and not __fish_seen_subcommand_from vms hosts settings jobs domains revert poweroff schedule-once state history migrate purge demo completions man worker help" -f -a "completions" -d 'Print shell completions'
complete -c vmsched -n "__fish_vmsched_using_subcommand help; and not __fish_seen_subcommand_from vms hosts settings jobs domains revert poweroff schedule-once state history migrate purge demo completions man worker help" -f -a "man" -d 'Print the man page (roff)'
complete -c vmsched -n "__fish_vmsched_using_subcommand help; and not __fish_seen_subcommand_from vms hosts settings jobs domains revert poweroff schedule-once state history migrate purge demo completions man worker help" -f -a "worker" -d 'Carry out a released revert, power-off or monitor (started by vmsched-worker)'
complete -c vmsched -n "__fish_vmsched_using_subcommand help; and not __fish_seen_subcommand_from vms hosts settings jobs domains revert poweroff schedule-once state history migrate purge demo completions man worker help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c vmsched -n "__fish_vmsched_using_subcommand help; and __fish_seen_subcommand_from vms" -f -a "add" -d 'Register a VM instance (it starts `off`)'
complete -c vmsched -n "__fish_vmsched_using_subcommand help; and __fish_seen_subcommand_from vms" -f -a "set" -d 'Change a VM instance'
complete -c vmsched -n "__fish_vmsched_using_subcommand help; and __fish_seen_subcommand_from vms" -f -a "remove" -d 'Remove a VM instance'
complete -c vmsched -n "__fish_vmsched_using_subcommand help; and __fish_seen_subcommand_from vms" -f -a "list" -d 'List VM instances'
complete -c vmsched -n "__fish_vmsched_using_subcommand help; and __fish_seen_subcommand_from vms" -f -a "import" -d 'Create and update VMs and host limits from a TOML inventory'
complete -c vmsched -n "__fish_vmsched_using_subcommand help; and __fish_seen_subcommand_from hosts" -f -a "list" -d 'Every host key of the inventory with its effective limits'
complete -c vmsched -n "__fish_vmsched_using_subcommand help; and __fish_seen_subcommand_from hosts" -f -a "set" -d 'Set limits of a host, or the global ones with \'*\''
complete -c vmsched -n "__fish_vmsched_using_subcommand help; and __fish_seen_subcommand_from settings" -f -a "list" -d 'Every setting with its value and default'
complete -c vmsched -n "__fish_vmsched_using_subcommand help; and __fish_seen_subcommand_from settings" -f -a "set" -d 'Change a setting'
complete -c vmsched -n "__fish_vmsched_using_subcommand help; and __fish_seen_subcommand_from jobs" -f -a "submit" -d 'Submit a job: one command on some VMs, or several steps from a file'
complete -c vmsched -n "__fish_vmsched_using_subcommand help; and __fish_seen_subcommand_from jobs" -f -a "list" -d 'List jobs'
complete -c vmsched -n "__fish_vmsched_using_subcommand help; and __fish_seen_subcommand_from jobs" -f -a "show" -d 'Show a job\'s steps and tasks'
complete -c vmsched -n "__fish_vmsched_using_subcommand help; and __fish_seen_subcommand_from jobs" -f -a "cancel" -d 'Cancel a job\'s queued tasks and stop its running ones'
complete -c vmsched -n "__fish_vmsched_using_subcommand help; and __fish_seen_subcommand_from jobs" -f -a "wait" -d 'Wait for a job to end (exit 0 when it completed)'
complete -c vmsched -n "__fish_vmsched_using_subcommand help; and __fish_seen_subcommand_from jobs" -f -a "log" -d 'Print a job\'s task logs'
complete -c vmsched -n "__fish_vmsched_using_subcommand help; and __fish_seen_subcommand_from domains" -f -a "show" -d 'One entry per domain: instances, owner, live state and a verdict'
complete -c vmsched -n "__fish_vmsched_using_subcommand help; and __fish_seen_subcommand_from state" -f -a "export" -d 'Write the live state as a state file (JSON) on stdout'

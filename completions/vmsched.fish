complete --keep-order --exclusive --command vmsched --arguments "(COMPLETE=fish vmsched -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"

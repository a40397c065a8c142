git config core.fsmonitor "$EVIL"

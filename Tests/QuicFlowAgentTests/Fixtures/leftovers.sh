#!/bin/sh
# Leaves a process behind and writes "<handler pid> <its pid>" to $PID_FILE
# (the handler's pid is its process group). MODE=background (the default)
# starts `sleep 300 &`, which stays in the handler's group; MODE=setsid
# starts `setsid sleep 300 &`, which leaves for a session of its own. The
# handler then exits 0, printing "left", unless STAY=1: then it becomes a
# `sleep 300` itself (same pid).
if [ "${MODE:-background}" = setsid ]; then
    setsid sleep 300 &
    # Exit only once it has left: a handler that exits first has it ended
    # with its group, as a process that never left (field 6 of stat is the
    # session id).
    while [ "$(cut -d' ' -f6 "/proc/$!/stat" 2>/dev/null)" != "$!" ]; do sleep 0.01; done
else
    sleep 300 &
fi
echo "$$ $!" > "$PID_FILE.tmp"
mv "$PID_FILE.tmp" "$PID_FILE"
if [ "${STAY:-}" = 1 ]; then
    exec sleep 300
fi
echo left

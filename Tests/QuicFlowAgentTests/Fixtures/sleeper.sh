#!/bin/sh
# Runs "forever" and starts a grandchild that does too, writing the
# grandchild's pid to $PID_FILE. IGNORE_TERM=child makes only the grandchild
# ignore SIGTERM; IGNORE_TERM=all makes both ignore it. EXIT_AT_ONCE=1 makes
# the handler itself exit 0 right away, leaving the grandchild behind with
# its standard output still open.
if [ "${IGNORE_TERM:-}" = all ]; then
    trap '' TERM
fi
if [ "${IGNORE_TERM:-}" = child ]; then
    (trap '' TERM; exec sleep 300) &
else
    sleep 300 &
fi
echo $! > "$PID_FILE.tmp"
mv "$PID_FILE.tmp" "$PID_FILE"
echo started
if [ "${EXIT_AT_ONCE:-}" = 1 ]; then
    exit 0
fi
sleep 300

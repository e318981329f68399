#!/bin/sh
# Logs "start PID" to $LOG_FILE, sleeps $SLEEP seconds (default 1), logs
# "end PID" and prints "done <stdin>". The pid is the handler's process
# group, so a test can clean up after a handler orphaned by kill -9.
echo "start $$" >> "$LOG_FILE"
input=$(cat)
sleep "${SLEEP:-1}"
echo "end $$" >> "$LOG_FILE"
printf 'done %s' "$input"

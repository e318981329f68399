#!/bin/sh
# Appends "+" to $LOG_FILE when it starts and "-" when it ends, so a test
# can replay how many runs overlapped.
echo "+" >> "$LOG_FILE"
sleep 0.3
echo "-" >> "$LOG_FILE"

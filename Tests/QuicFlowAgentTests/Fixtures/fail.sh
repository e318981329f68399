#!/bin/sh
# Fails: exits 3 after a line on each stream (FAIL_MODE=long writes 3000
# bytes of standard error first; FAIL_MODE=signal kills itself with SIGTERM).
echo "partial output"
case "${FAIL_MODE:-}" in
long)
    i=0
    while [ "$i" -lt 30 ]; do
        printf '%099d\n' 0 >&2
        i=$((i + 1))
    done
    echo "the real reason" >&2
    ;;
signal)
    kill -TERM $$
    sleep 5
    ;;
esac
echo "something went wrong" >&2
exit 3

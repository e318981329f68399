#!/bin/sh
# Prints its arguments, the QUICFLOW_ variables, the names of every variable
# it received, then its standard input verbatim.
printf 'args=%s\n' "$*"
printf 'msg_id=%s\n' "$QUICFLOW_MSG_ID"
printf 'msg_type=%s\n' "$QUICFLOW_MSG_TYPE"
printf 'sender_id=%s\n' "$QUICFLOW_SENDER_ID"
printf 'client_id=%s\n' "$QUICFLOW_CLIENT_ID"
printf 'command=%s\n' "${QUICFLOW_COMMAND-<unset>}"
printf 'custom=%s\n' "${HANDLER_CUSTOM-<unset>}"
printf 'names=%s\n' "$(env | cut -d= -f1 | sort | tr '\n' ' ')"
printf 'payload='
cat

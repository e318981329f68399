#!/usr/bin/env python3
"""Go QuicFlow backbone stand-in (aioquic==1.7.2), a test peer for QuicFlowAgent.

It speaks `quic-backbone-v1` (see /work/shared/PROTOCOL.md) the way the Go
original server (voilet/QuicFlow, pkg/transport/server/server.go,
pkg/session/manager.go) really behaves, defects included:

- Registration: the first client stream (id 0) carries Frame{PING, PingFrame}.
  It is acted on as soon as its length-prefixed bytes are complete. An id that
  is registered on another live connection is refused: the new connection is
  closed with application error 1 "failed to create session" (no supersede).
  Otherwise the answer is Frame{PONG} followed by FIN. Other client streams
  wait until registration has succeeded.
- Liveness: only PING frames refresh it. Every --check-interval seconds each
  session with now - last_ping > --liveness-timeout counts a miss (a fresh
  PING resets the count); at --max-misses the connection is closed with
  application error 0 "heartbeat timeout".
- A registration is released when its connection ends (either side closes it,
  or the aioquic idle timeout, --idle-timeout, fires).
- Client DATA with wait_ack is answered per the answer mode: "response" sends
  Frame{DATA, DataMessage{type RESPONSE, payload = JSON router result}} then
  FIN; "nothing" sends only FIN (what Go does when the payload is not JSON
  with a known command_type or the handler fails); "go" picks between the two
  the way the Go server's router would. Every client stream gets FIN after it
  is handled (Go's `defer stream.Close()`), reply or not.
- Server->client commands are written WITHOUT FIN; the ACK is read by its
  length prefix, and FIN is sent only after it (server.go SendToWithPromise).
  An ACK timeout does not touch the stream (Go only fails the promise).
- QSSH streams: a new stream starting with 51 53 48 53 01 <type>, then a few
  bytes (an SSH client banner), without FIN.

stdin: JSON control lines, one per line:
  {"cmd":"command","client":ID,"msg_id":ID,"payload":TEXT,"timeout":SECONDS}
      (msg_id default: a new UUID; payload default ""; timeout default 10;
       optional "type": COMMAND|EVENT|QUERY|RESPONSE or its number)
  {"cmd":"answer_mode","mode":"response"|"nothing"|"go"}
  {"cmd":"qssh","client":ID}   (optional "stream_type" int, "payload" text)
  {"cmd":"close","client":ID,"code":N}   (optional "reason" text)
  {"cmd":"stats"}
stdout: JSON event lines, flushed, each {"event":NAME,"t":MONOTONIC,...}.
  The first line is {"event":"listening","t":...,"port":N}. Events:
  listening, registered, refused, ping, liveness_miss, evicted, closing,
  released, data, client_ack, command_sent, ack, ack_late, ack_timeout,
  ack_stream_ended, ack_error, qssh_sent, qssh_reset, qssh_stream_ended,
  answer_mode, stats, control_error.
  (The field lists are in the report / the emit() calls below.)

The process exits on SIGTERM/SIGINT or when stdin reaches EOF, so it never
outlives the test process that spawned it. Give it a pipe as stdin: with
stdin at /dev/null it exits at once. Errors in one stream are logged to
stderr and never stop the server.
"""

import argparse
import asyncio
import json
import os
import signal
import struct
import sys
import threading
import time
import traceback
import uuid

from aioquic.asyncio import QuicConnectionProtocol, serve
from aioquic.quic import events
from aioquic.quic.configuration import QuicConfiguration

# --------------------------------------------------------------------------
# Protobuf, by hand (proto3: fields at their default value are not written)

FRAME_PING, FRAME_PONG, FRAME_DATA, FRAME_ACK = 1, 2, 3, 4
FRAME_NAMES = {0: "UNSPECIFIED", 1: "PING", 2: "PONG", 3: "DATA", 4: "ACK"}
MSG_COMMAND, MSG_EVENT, MSG_QUERY, MSG_RESPONSE = 1, 2, 3, 4
MSG_NAMES = {0: "UNSPECIFIED", 1: "COMMAND", 2: "EVENT", 3: "QUERY", 4: "RESPONSE"}
ACK_NAMES = {0: "UNSPECIFIED", 1: "SUCCESS", 2: "FAILURE", 3: "TIMEOUT"}

# Go's codec refuses length 0 and length > 10 MiB (codec/protobuf.go ReadFrame).
MAX_FRAME = 10 * 1024 * 1024

# "QSSH" magic as Go writes it: binary.BigEndian.PutUint32(0x51534853).
QSSH_MAGIC = bytes([0x51, 0x53, 0x48, 0x53])
QSSH_VERSION = 0x01

# Command types registered on the Go server's router (cmd/server/router.go).
GO_SERVER_COMMANDS = {
    "ping", "report.status", "report.logs", "report.metrics", "report.heartbeat",
    "report.hardware", "command.result", "command.callback", "query.config",
}


def name_of(table: dict, value: int) -> str:
    return table.get(value, str(value))


def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1  # int64 negatives are 10-byte two's complement
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _f_varint(num: int, value: int) -> bytes:
    return _varint(num << 3) + _varint(value) if value else b""


def _f_bytes(num: int, value: bytes) -> bytes:
    return _varint(num << 3 | 2) + _varint(len(value)) + value if value else b""


def decode_fields(data: bytes) -> dict:
    """field number -> last value (int for varint/fixed, bytes for len-delimited)."""
    fields: dict = {}
    i, n = 0, len(data)

    def read_varint() -> int:
        nonlocal i
        shift = result = 0
        while True:
            if i >= n:
                raise ValueError("truncated varint")
            b = data[i]
            i += 1
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result & ((1 << 64) - 1)
            shift += 7
            if shift >= 70:
                raise ValueError("varint too long")

    while i < n:
        key = read_varint()
        num, wire = key >> 3, key & 7
        if num == 0:
            raise ValueError("field number 0")
        if wire == 0:
            value = read_varint()
        elif wire == 1:
            if i + 8 > n:
                raise ValueError("truncated fixed64")
            value = int.from_bytes(data[i:i + 8], "little")
            i += 8
        elif wire == 2:
            length = read_varint()
            if i + length > n:
                raise ValueError("truncated length-delimited field")
            value = bytes(data[i:i + length])
            i += length
        elif wire == 5:
            if i + 4 > n:
                raise ValueError("truncated fixed32")
            value = int.from_bytes(data[i:i + 4], "little")
            i += 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        fields[num] = value  # unknown field numbers are kept but never read
    return fields


def _int(fields: dict, num: int) -> int:
    v = fields.get(num, 0)
    if not isinstance(v, int):
        raise ValueError(f"field {num}: expected a varint")
    return v - (1 << 64) if v >= 1 << 63 else v


def _bytes(fields: dict, num: int) -> bytes:
    v = fields.get(num, b"")
    if not isinstance(v, bytes):
        raise ValueError(f"field {num}: expected bytes")
    return v


def _str(fields: dict, num: int) -> str:
    return _bytes(fields, num).decode("utf-8")  # Go's proto.Unmarshal rejects bad UTF-8


def encode_frame(ftype: int, payload: bytes, timestamp: int) -> bytes:
    body = _f_varint(1, ftype) + _f_bytes(2, payload) + _f_varint(3, timestamp)
    return struct.pack(">I", len(body)) + body


def decode_frame(body: bytes) -> tuple:
    f = decode_fields(body)
    return _int(f, 1), _bytes(f, 2), _int(f, 3)


def encode_data_message(m: dict) -> bytes:
    return (
        _f_bytes(1, m["msg_id"].encode())
        + _f_bytes(2, m["sender_id"].encode())
        + _f_bytes(3, m["receiver_id"].encode())
        + _f_varint(4, m["type"])
        + _f_bytes(5, m["payload"])
        + _f_varint(6, 1 if m["wait_ack"] else 0)
        + _f_varint(7, m["timestamp"])
    )


def decode_data_message(payload: bytes) -> dict:
    f = decode_fields(payload)
    return {
        "msg_id": _str(f, 1), "sender_id": _str(f, 2), "receiver_id": _str(f, 3),
        "type": _int(f, 4), "payload": _bytes(f, 5), "wait_ack": _int(f, 6) != 0,
        "timestamp": _int(f, 7),
    }


def decode_ack_message(payload: bytes) -> dict:
    f = decode_fields(payload)
    return {"msg_id": _str(f, 1), "status": _int(f, 2), "result": _bytes(f, 3),
            "error": _str(f, 4)}


class FrameError(Exception):
    pass


def take_frame(buf: bytearray):
    """The first frame's body once its length-prefixed bytes are complete, else None."""
    if len(buf) < 4:
        return None
    length = struct.unpack(">I", buf[:4])[0]
    if length == 0:
        raise FrameError("zero length frame")
    if length > MAX_FRAME:
        raise FrameError(f"frame too large: {length} bytes")
    if len(buf) < 4 + length:
        return None
    return bytes(buf[4:4 + length])


def unix_ms() -> int:
    return int(time.time() * 1000)


def log(msg: str) -> None:
    print(f"go_backbone: {msg}", file=sys.stderr, flush=True)


def emit(event: str, **fields) -> None:
    line = {"event": event, "t": time.monotonic()}
    line.update(fields)
    try:
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        pass


# --------------------------------------------------------------------------
# Server state


class StreamState:
    __slots__ = ("kind", "buf", "fin", "reset", "done", "cmd")

    def __init__(self, kind: str):
        self.kind = kind  # "register" | "client" | "command" | "qssh"
        self.buf = bytearray()
        self.fin = False
        self.reset = None  # peer's RESET_STREAM code
        self.done = False
        self.cmd = None


class Command:
    def __init__(self, proto, sid: int, msg_id: str, client: str, timeout: float):
        self.proto, self.sid, self.msg_id, self.client = proto, sid, msg_id, client
        self.timeout = timeout
        self.started = time.monotonic()
        self.state = "pending"  # pending | acked | timeout | failed
        self.timer = None


class Backbone:
    def __init__(self, args):
        self.args = args
        self.answer_mode = args.answer_mode
        self.sessions: dict = {}  # client id -> BackboneProtocol
        self.protocols: set = set()  # every live connection
        self.promises: dict = {}  # msg_id -> Command (Go's PromiseManager is global)
        self.attempts: dict = {}  # msg_id -> count
        self.data_times: dict = {}  # msg_id -> [monotonic seconds]

    def release(self, proto, reason: str, code=None, phrase: str = "") -> None:
        cid = proto.client_id
        if cid is not None and self.sessions.get(cid) is proto:
            del self.sessions[cid]
            emit("released", client=cid, reason=reason, code=code, reason_phrase=phrase)

    # ---- liveness (session/manager.go checkHeartbeats)

    async def liveness_loop(self) -> None:
        interval = self.args.check_interval
        next_at = time.monotonic() + interval
        while True:  # a fixed-rate ticker, like Go's time.Ticker
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            next_at += interval
            try:
                self.check_liveness()
            except Exception:
                log("liveness check failed:\n" + traceback.format_exc())

    def check_liveness(self) -> None:
        now = time.monotonic()
        for cid, proto in list(self.sessions.items()):
            since = now - proto.last_ping
            if since > self.args.liveness_timeout:
                proto.misses += 1
                emit("liveness_miss", client=cid, misses=proto.misses, since=since)
                if proto.misses >= self.args.max_misses:
                    emit("evicted", client=cid, misses=proto.misses, since=since)
                    proto.close_connection(0, "heartbeat timeout", "evicted")
            elif proto.misses:
                proto.misses = 0

    # ---- control lines

    def handle_control(self, line: bytes) -> None:
        text = line.decode("utf-8", "replace").strip()
        if not text:
            return
        try:
            req = json.loads(text)
            cmd = req["cmd"]
        except Exception as e:
            emit("control_error", line=text, error=f"bad control line: {e}")
            return
        try:
            if cmd == "command":
                self.start_command(req)
            elif cmd == "answer_mode":
                mode = req.get("mode")
                if mode not in ("response", "nothing", "go"):
                    raise ValueError(f"unknown answer mode {mode!r}")
                self.answer_mode = mode
                emit("answer_mode", mode=mode)
            elif cmd == "qssh":
                self.start_qssh(req)
            elif cmd == "close":
                proto = self.session_for(req)
                code = int(req.get("code", 0))
                reason = str(req.get("reason", "closed by control"))
                emit("closing", client=proto.client_id, code=code)
                proto.close_connection(code, reason, "closed")
            elif cmd == "stats":
                emit("stats", attempts=dict(self.attempts),
                     data_times={k: list(v) for k, v in self.data_times.items()},
                     clients=sorted(self.sessions), answer_mode=self.answer_mode)
            else:
                raise ValueError(f"unknown cmd {cmd!r}")
        except Exception as e:
            if not isinstance(e, (ValueError, KeyError, LookupError)):
                log("control failed:\n" + traceback.format_exc())
            emit("control_error", cmd=cmd, client=req.get("client"), error=str(e))

    def session_for(self, req: dict):
        cid = req.get("client")
        proto = self.sessions.get(cid)
        if proto is None:
            raise LookupError(f"client not connected: {cid}")
        return proto

    def start_command(self, req: dict) -> None:
        proto = self.session_for(req)
        msg_id = str(req.get("msg_id") or uuid.uuid4())
        mtype = req.get("type", MSG_COMMAND)
        if isinstance(mtype, str):
            mtype = {v: k for k, v in MSG_NAMES.items()}[mtype.upper()]
        timeout = float(req.get("timeout", 10))
        now = unix_ms()
        msg = {"msg_id": msg_id, "sender_id": "server", "receiver_id": proto.client_id,
               "type": int(mtype), "payload": str(req.get("payload", "")).encode(),
               "wait_ack": True, "timestamp": now}
        frame = encode_frame(FRAME_DATA, encode_data_message(msg), now)
        sid = proto._quic.get_next_available_stream_id()
        cmd = Command(proto, sid, msg_id, proto.client_id, timeout)
        st = StreamState("command")
        st.cmd = cmd
        proto.streams[sid] = st
        proto._quic.send_stream_data(sid, frame, end_stream=False)  # no FIN, like Go
        cmd.timer = asyncio.get_running_loop().call_later(timeout, self.command_timeout, cmd)
        self.promises[msg_id] = cmd
        proto.transmit()
        emit("command_sent", client=proto.client_id, msg_id=msg_id, stream_id=sid)

    def command_timeout(self, cmd: Command) -> None:
        if cmd.state != "pending":
            return
        cmd.state = "timeout"
        if self.promises.get(cmd.msg_id) is cmd:
            del self.promises[cmd.msg_id]
        # Go fails the promise only; its reader goroutine keeps the stream open.
        emit("ack_timeout", client=cmd.client, msg_id=cmd.msg_id, timeout=cmd.timeout,
             stream_id=cmd.sid)

    def complete_command(self, cmd: Command, ack: dict, via: str) -> None:
        fields = dict(client=cmd.client, msg_id=cmd.msg_id, ack_msg_id=ack["msg_id"],
                      status=name_of(ACK_NAMES, ack["status"]),
                      result=ack["result"].decode("utf-8", "replace"), error=ack["error"],
                      stream_id=cmd.sid, via=via, elapsed=time.monotonic() - cmd.started)
        if cmd.state == "pending":
            cmd.state = "acked"
            if cmd.timer is not None:
                cmd.timer.cancel()
            if self.promises.get(cmd.msg_id) is cmd:
                del self.promises[cmd.msg_id]
            emit("ack", **fields)
        elif cmd.state == "timeout":
            emit("ack_late", **fields)
        else:
            log(f"ACK for {cmd.msg_id} ({via}) after the command was {cmd.state}")

    def fail_command(self, cmd: Command, reason: str, reset_code=None) -> None:
        if cmd.state not in ("pending", "timeout"):
            return
        after_timeout = cmd.state == "timeout"
        if cmd.state == "pending":
            cmd.state = "failed"
            if cmd.timer is not None:
                cmd.timer.cancel()
            if self.promises.get(cmd.msg_id) is cmd:
                del self.promises[cmd.msg_id]
        else:
            cmd.state = "failed"
        emit("ack_stream_ended", client=cmd.client, msg_id=cmd.msg_id, reason=reason,
             reset_code=reset_code, after_timeout=after_timeout, stream_id=cmd.sid)

    def start_qssh(self, req: dict) -> None:
        proto = self.session_for(req)
        stype = int(req.get("stream_type", 1))
        payload = str(req.get("payload", "SSH-2.0-Go\r\n")).encode()
        sid = proto._quic.get_next_available_stream_id()
        proto.streams[sid] = StreamState("qssh")
        header = QSSH_MAGIC + bytes([QSSH_VERSION, stype & 0xFF])
        proto._quic.send_stream_data(sid, header + payload, end_stream=False)
        proto.transmit()
        emit("qssh_sent", client=proto.client_id, stream_id=sid)


# --------------------------------------------------------------------------
# One connection


class BackboneProtocol(QuicConnectionProtocol):
    backbone: Backbone = None  # set in main()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.bb = type(self).backbone
        self.client_id = None
        self.streams: dict = {}
        self.ended = False
        self.last_ping = time.monotonic()
        self.misses = 0
        self.bb.protocols.add(self)

    # Events are handled directly (no StreamReaders), as in echo_server.py.
    def quic_event_received(self, event: events.QuicEvent) -> None:
        try:
            self._on_event(event)
        except Exception:
            log(f"error handling {type(event).__name__}:\n" + traceback.format_exc())

    def datagram_received(self, data, addr) -> None:
        super().datagram_received(data, addr)
        # aioquic reports a peer's CONNECTION_CLOSE only after the draining
        # period; Go's AcceptStream fails at once, so release at once too.
        close = self._quic._close_event
        if not self.ended and close is not None:
            try:
                self._connection_ended("peer_closed", close.error_code, close.reason_phrase)
            except Exception:
                log("error on close:\n" + traceback.format_exc())

    def _on_event(self, event) -> None:
        if isinstance(event, events.StreamDataReceived):
            self._on_stream_data(event.stream_id, event.data, event.end_stream)
        elif isinstance(event, events.StreamReset):
            self._on_stream_reset(event.stream_id, event.error_code)
        elif isinstance(event, events.StopSendingReceived):
            st = self.streams.get(event.stream_id)
            if st is not None and st.kind == "qssh":
                emit("qssh_reset", client=self.client_id, stream_id=event.stream_id,
                     kind="stop_sending", code=event.error_code)
            else:
                log(f"STOP_SENDING {event.error_code} on stream {event.stream_id}")
        elif isinstance(event, events.ConnectionTerminated):
            if event.reason_phrase == "Idle timeout" and event.frame_type is not None:
                self._connection_ended("idle_timeout", None, "Idle timeout")
            else:
                self._connection_ended("peer_closed", event.error_code, event.reason_phrase)

    def _fin(self, sid: int) -> None:
        try:
            self._quic.send_stream_data(sid, b"", end_stream=True)
        except Exception as e:  # reset by STOP_SENDING, already finished, ...
            log(f"FIN on stream {sid} not sent: {e!r}")

    def _write(self, sid: int, data: bytes) -> None:
        try:
            self._quic.send_stream_data(sid, data, end_stream=False)
        except Exception as e:
            log(f"write on stream {sid} failed: {e!r}")

    # ---- stream events

    def _on_stream_data(self, sid: int, data: bytes, fin: bool) -> None:
        if self.ended:
            return
        if sid % 4 == 0:  # client-initiated bidirectional
            st = self.streams.get(sid)
            if st is None:
                st = self.streams[sid] = StreamState("register" if sid == 0 else "client")
            if st.done:
                return  # Go reads one frame per stream; the rest is ignored
            st.buf += data
            st.fin = st.fin or fin
            if sid == 0:
                self._try_register()
            else:
                self._try_client_stream(sid)
        elif sid % 4 == 1:  # ours
            st = self.streams.get(sid)
            if st is None:
                return
            if st.kind == "command":
                self._on_command_data(sid, st, data, fin)
            elif st.kind == "qssh":
                if data:
                    log(f"{len(data)} bytes from the client on QSSH stream {sid}")
                if fin and not st.fin:
                    st.fin = True
                    emit("qssh_stream_ended", client=self.client_id, stream_id=sid)
        else:  # unidirectional: Go never accepts them
            if data:
                log(f"ignoring {len(data)} bytes on unidirectional stream {sid}")

    def _on_stream_reset(self, sid: int, code: int) -> None:
        st = self.streams.get(sid)
        if st is None:
            if sid % 4 == 0:
                st = self.streams[sid] = StreamState("register" if sid == 0 else "client")
            else:
                return
        if st.kind == "qssh":
            emit("qssh_reset", client=self.client_id, stream_id=sid, kind="reset", code=code)
        elif st.kind == "command":
            if not st.done:
                st.done = True
                self.bb.fail_command(st.cmd, "reset", reset_code=code)
                self._fin(sid)  # Go's deferred stream.Close()
        elif not st.done:
            st.reset = code
            if st.kind == "register":
                self._try_register()
            else:
                self._try_client_stream(sid)

    # ---- registration (server.go handleConnection)

    def _refuse(self, phrase: str, detail: str, client=None) -> None:
        st = self.streams.get(0)
        if st is not None:
            st.done = True
        self._fin(0)  # Go: stream.Close() before conn.CloseWithError(1, ...)
        emit("refused", client=client, reason=phrase, detail=detail)
        self._quic.close(error_code=1, reason_phrase=phrase)
        self.transmit()
        self._connection_ended("refused", 1, phrase)

    def _try_register(self) -> None:
        st = self.streams[0]
        if st.done or self.ended:
            return
        try:
            body = take_frame(st.buf)
        except FrameError as e:
            return self._refuse("invalid first frame", str(e))
        if body is None:
            if st.fin or st.reset is not None:
                self._refuse("invalid first frame",
                             "stream ended before a complete frame" if st.fin
                             else f"stream reset with code {st.reset}")
            return
        st.done = True
        try:
            ftype, payload, _ = decode_frame(body)
        except ValueError as e:
            return self._refuse("invalid first frame", str(e))
        if ftype != FRAME_PING:
            return self._refuse("first frame must be PING",
                                f"got {name_of(FRAME_NAMES, ftype)}")
        try:
            cid = _str(decode_fields(payload), 1)
        except ValueError as e:
            return self._refuse("invalid ping frame", str(e))
        if not cid:
            return self._refuse("client ID is required", "empty client_id")
        holder = self.bb.sessions.get(cid)
        if holder is not None and holder is not self:
            return self._refuse("failed to create session",
                                f"session already exists: {cid}", client=cid)

        self.client_id = cid
        self.bb.sessions[cid] = self
        self.last_ping = time.monotonic()
        self.misses = 0
        try:
            remote = "%s:%s" % tuple(self._quic._network_paths[0].addr[:2])
        except Exception:
            remote = None
        now = unix_ms()
        pong = encode_frame(FRAME_PONG, _f_varint(1, now), now)
        self._write(0, pong)
        self._fin(0)
        emit("registered", client=cid, remote=remote)
        # Streams that arrived before registration are handled now, in order.
        for sid in sorted(self.streams):
            if sid % 4 == 0 and sid != 0:
                self._try_client_stream(sid)

    # ---- later client streams (server.go handleStream)

    def _try_client_stream(self, sid: int) -> None:
        if self.client_id is None or self.ended:
            return  # Go accepts no other stream before registration
        st = self.streams[sid]
        if st.done:
            return
        try:
            body = take_frame(st.buf)
        except FrameError as e:
            st.done = True
            log(f"stream {sid} of {self.client_id}: {e}")
            self._fin(sid)
            return
        if body is None:
            if st.fin or st.reset is not None:
                st.done = True
                if st.buf or st.reset is not None:
                    log(f"stream {sid} of {self.client_id} ended before a complete frame"
                        f" (reset={st.reset})")
                self._fin(sid)
            return
        st.done = True
        try:
            ftype, payload, _ = decode_frame(body)
            if ftype == FRAME_PING:
                self._on_ping(sid)
            elif ftype == FRAME_DATA:
                self._on_data(sid, payload)
            elif ftype == FRAME_ACK:
                self._on_client_ack(sid, payload)
            else:
                log(f"stream {sid} of {self.client_id}: unknown frame type {ftype}")
        except ValueError as e:  # undecodable protobuf (Go: "Failed to read frame")
            log(f"stream {sid} of {self.client_id}: {e}")
        except Exception:
            log(f"stream {sid} of {self.client_id}:\n" + traceback.format_exc())
        self._fin(sid)  # Go's deferred stream.Close(), reply or not

    def _on_ping(self, sid: int) -> None:
        if self.bb.sessions.get(self.client_id) is not self:
            return  # Go: "Session not found for ping", no PONG
        self.last_ping = time.monotonic()
        self.misses = 0
        now = unix_ms()
        self._write(sid, encode_frame(FRAME_PONG, _f_varint(1, now), now))
        emit("ping", client=self.client_id, stream_id=sid)

    def _on_data(self, sid: int, payload: bytes) -> None:
        msg = decode_data_message(payload)
        mid = msg["msg_id"]
        self.bb.attempts[mid] = self.bb.attempts.get(mid, 0) + 1
        self.bb.data_times.setdefault(mid, []).append(time.monotonic())
        answer = None
        if msg["wait_ack"]:
            answer = self.bb.answer_mode
            if answer == "go":
                answer = "response" if go_router_answers(msg) else "nothing"
            if answer == "response":
                now = unix_ms()
                result = json.dumps({"msg_id": mid, "status": "ok"}, sort_keys=True,
                                    separators=(",", ":")).encode()
                receiver = self.client_id if self.bb.args.response_receiver_id == "client" else ""
                resp = {"msg_id": mid, "sender_id": "server", "receiver_id": receiver,
                        "type": MSG_RESPONSE, "payload": result, "wait_ack": False,
                        "timestamp": now}
                self._write(sid, encode_frame(FRAME_DATA, encode_data_message(resp), now))
        emit("data", client=self.client_id, msg_id=mid, sender_id=msg["sender_id"],
             receiver_id=msg["receiver_id"], type=name_of(MSG_NAMES, msg["type"]),
             payload=msg["payload"].decode("utf-8", "replace"), wait_ack=msg["wait_ack"],
             attempt=self.bb.attempts[mid], answer=answer, stream_id=sid)

    def _on_client_ack(self, sid: int, payload: bytes) -> None:
        # server.go handleAck: an ACK on a client stream completes the promise.
        ack = decode_ack_message(payload)
        cmd = self.bb.promises.get(ack["msg_id"])
        if cmd is not None:
            self.bb.complete_command(cmd, ack, via="client_stream")
        else:
            emit("client_ack", client=self.client_id, msg_id=ack["msg_id"],
                 status=name_of(ACK_NAMES, ack["status"]),
                 result=ack["result"].decode("utf-8", "replace"), error=ack["error"],
                 stream_id=sid)

    # ---- server->client command streams (server.go SendToWithPromise)

    def _on_command_data(self, sid: int, st: StreamState, data: bytes, fin: bool) -> None:
        if st.done:
            return
        st.buf += data
        cmd = st.cmd
        try:
            body = take_frame(st.buf)
        except FrameError as e:
            st.done = True
            emit("ack_error", client=cmd.client, msg_id=cmd.msg_id, error=str(e), stream_id=sid)
            self.bb.fail_command(cmd, "bad_frame")
            self._fin(sid)
            return
        if body is None:
            if fin:
                st.done = True
                self.bb.fail_command(cmd, "fin")
                self._fin(sid)
            return
        st.done = True
        try:
            ftype, payload, _ = decode_frame(body)
            if ftype != FRAME_ACK:
                raise ValueError(f"expected ACK frame, got {name_of(FRAME_NAMES, ftype)}")
            ack = decode_ack_message(payload)
        except ValueError as e:
            emit("ack_error", client=cmd.client, msg_id=cmd.msg_id, error=str(e), stream_id=sid)
            self.bb.fail_command(cmd, "bad_frame")
        else:
            self.bb.complete_command(cmd, ack, via="same_stream")
        self._fin(sid)  # only now, after the ACK was read

    # ---- connection end

    def close_connection(self, code: int, phrase: str, release_reason: str) -> None:
        self._quic.close(error_code=code, reason_phrase=phrase)
        self.transmit()
        self._connection_ended(release_reason, code, phrase)

    def _connection_ended(self, reason: str, code=None, phrase: str = "") -> None:
        if self.ended:
            return
        self.ended = True
        self.bb.protocols.discard(self)
        for st in self.streams.values():
            if st.kind == "command" and not st.done:
                st.done = True
                self.bb.fail_command(st.cmd, "connection_closed")
        self.bb.release(self, reason, code, phrase)


def go_router_answers(msg: dict) -> bool:
    """Would the Go server's dispatcher+router produce a RESPONSE for this message?

    cmd/server/main.go: EVENT and QUERY go to the router by the payload's
    command_type (non-JSON -> "unknown" -> error -> no reply); RESPONSE's
    handler returns nil; COMMAND has no handler. An approximation: the
    handlers' own payload checks are not modelled.
    """
    if msg["type"] not in (MSG_EVENT, MSG_QUERY):
        return False
    try:
        doc = json.loads(msg["payload"])
    except ValueError:
        return False
    return isinstance(doc, dict) and doc.get("command_type") in GO_SERVER_COMMANDS


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 = ephemeral")
    p.add_argument("--cert", "--certificate", dest="cert", required=True,
                   help="server cert chain (PEM)")
    p.add_argument("--key", "--private-key", dest="key", required=True,
                   help="server key (PEM)")
    p.add_argument("--alpn", default="quic-backbone-v1")
    p.add_argument("--idle-timeout", type=float, default=60.0,
                   help="QUIC idle timeout, seconds (Go: MaxIdleTimeout 60 s)")
    p.add_argument("--check-interval", type=float, default=5.0,
                   help="liveness check period, seconds (Go: 5 s)")
    p.add_argument("--liveness-timeout", type=float, default=15.0,
                   help="a check finds a session stale after this many seconds"
                        " without PING (Go: hard-coded 15 s)")
    p.add_argument("--max-misses", type=int, default=3,
                   help="stale checks in a row before eviction (Go: 3)")
    p.add_argument("--answer-mode", choices=("response", "nothing", "go"),
                   default="response", help="initial answer to client DATA with wait_ack")
    p.add_argument("--response-receiver-id", choices=("empty", "client"), default="empty",
                   help="receiver_id of RESPONSE messages (Go leaves it empty)")
    args = p.parse_args()

    config = QuicConfiguration(
        is_client=False,
        alpn_protocols=[args.alpn],
        max_data=16 * 1024 * 1024,
        max_stream_data=8 * 1024 * 1024,
        idle_timeout=args.idle_timeout,
    )
    config.load_cert_chain(args.cert, args.key)

    # Signal handlers before the "listening" line, so a SIGTERM sent right
    # after it is not fatal.
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    bb = Backbone(args)
    BackboneProtocol.backbone = bb
    server = await serve(
        args.host, args.port, configuration=config, create_protocol=BackboneProtocol
    )
    # With --port 0 only the socket knows the real port.
    port = server._transport.get_extra_info("sockname")[1]
    emit("listening", port=port)

    def control(line: bytes) -> None:
        try:
            bb.handle_control(line)
        except Exception:
            log("control line failed:\n" + traceback.format_exc())

    # A thread rather than loop.add_reader: epoll refuses regular files, and a
    # plain os.read avoids the lock of sys.stdin's buffer, which a daemon thread
    # blocked in it would hold during interpreter shutdown (fatal error).
    def watch_stdin() -> None:
        pending = b""
        while True:
            chunk = os.read(0, 65536)
            if not chunk:
                break
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                loop.call_soon_threadsafe(control, line)
        if pending.strip():
            loop.call_soon_threadsafe(control, pending)
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=watch_stdin, daemon=True).start()
    checker = asyncio.ensure_future(bb.liveness_loop())

    await stop.wait()
    checker.cancel()
    for proto in list(bb.protocols):  # Go: sessions.CloseAll -> CloseWithError(0, ...)
        try:
            proto.close_connection(0, "server shutdown", "shutdown")
        except Exception:
            log("close on shutdown failed:\n" + traceback.format_exc())
    server.close()


if __name__ == "__main__":
    asyncio.run(main())

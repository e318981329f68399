#!/usr/bin/env python3
"""QUIC v1 echo client (aioquic==1.7.2), an interop peer for the QUICTransport tests.

Opens N bidirectional streams at once; on each sends the message + FIN, reads
the echo up to FIN and compares it with what was sent. Then closes the
connection with application error code 0.

stdout protocol (exit status 0 on success, 1 on failure):
  OK <N>             every echo matched and the connection was closed
  ECHO <text>        stream 0's echo, decoded as UTF-8 (not with --message-size)
  FAIL <reason>      single line, replaces the above on any failure
"""

import argparse
import asyncio
import os
import ssl
import sys

from aioquic import tls
from aioquic.asyncio import QuicConnectionProtocol, connect
from aioquic.quic import events
from aioquic.quic.configuration import QuicConfiguration


class Failure(Exception):
    pass


def describe_close(event: events.ConnectionTerminated) -> str:
    code = event.error_code
    text = f"connection closed: error 0x{code:x}"
    if 0x100 <= code <= 0x1FF:  # CRYPTO_ERROR carries a TLS alert
        try:
            text += f" (TLS alert {tls.AlertDescription(code - 0x100).name})"
        except ValueError:
            pass
    if event.frame_type is not None:
        text += f" frame 0x{event.frame_type:x}"
    return f"{text} {event.reason_phrase!r}"


class ClientProtocol(QuicConnectionProtocol):
    terminated: events.ConnectionTerminated | None = None

    def quic_event_received(self, event: events.QuicEvent) -> None:
        # The base class ends pending reads with a plain EOF on close and ignores
        # stream resets; turn both into errors so we report the real cause
        # instead of a truncated echo or a timeout.
        if isinstance(event, events.ConnectionTerminated):
            self.terminated = event
            for reader in self._stream_readers.values():
                reader.set_exception(ConnectionError(describe_close(event)))
        elif isinstance(event, events.StreamReset):
            reader = self._stream_readers.get(event.stream_id)
            if reader is not None:
                reader.set_exception(
                    ConnectionResetError(f"stream reset by peer, error {event.error_code}")
                )
        super().quic_event_received(event)


def payload(args: argparse.Namespace, index: int) -> bytes:
    if args.message_size is None:
        return args.message.encode()
    # A prime-length cycle so lost, duplicated or reordered chunks shift the
    # pattern; starting each stream at a different phase also catches echoes
    # delivered on the wrong stream.
    cycle = bytes(range(251))
    start = index % 251
    reps = (start + args.message_size) // 251 + 1
    return (cycle * reps)[start : start + args.message_size]


async def echo_once(protocol: QuicConnectionProtocol, data: bytes) -> bytes:
    reader, writer = await protocol.create_stream()
    stream_id = writer.get_extra_info("stream_id")
    writer.write(data)
    writer.write_eof()
    try:
        echo = await reader.read()  # up to the server's FIN
    except ConnectionError as exc:
        raise Failure(f"stream {stream_id}: {exc}") from None
    if echo != data:
        diff = next(
            (i for i, (a, b) in enumerate(zip(echo, data)) if a != b),
            min(len(echo), len(data)),
        )
        raise Failure(
            f"stream {stream_id}: echo mismatch, got {len(echo)} bytes, "
            f"want {len(data)}, first difference at offset {diff}"
        )
    return echo


async def run(args: argparse.Namespace) -> bytes:
    config = QuicConfiguration(
        is_client=True,
        alpn_protocols=[args.alpn],
        server_name=args.server_name,
        verify_mode=ssl.CERT_NONE if args.insecure else ssl.CERT_REQUIRED,
        cafile=args.ca_file,
        max_data=64 * 1024 * 1024,  # generous windows, see echo_server.py
        max_stream_data=8 * 1024 * 1024,
    )
    if args.certificate:
        config.load_cert_chain(args.certificate, args.private_key)

    # wait_connected=False so we hold the protocol even if the handshake fails
    # and can report the peer's or our own close reason.
    async with connect(
        args.host,
        args.port,
        configuration=config,
        create_protocol=ClientProtocol,
        wait_connected=False,
    ) as protocol:
        protocol.transmit()  # connect() deferred the Initial for 0-RTT
        try:
            await protocol.wait_connected()
        except ConnectionError:
            reason = protocol.terminated and describe_close(protocol.terminated)
            raise Failure(f"handshake failed: {reason}") from None

        echoes = await asyncio.gather(
            *(echo_once(protocol, payload(args, i)) for i in range(args.streams))
        )
        protocol.close(error_code=0)
        await protocol.wait_closed()
    return echoes[0]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--server-name", default="localhost", help="SNI and name to verify")
    p.add_argument("--ca-file", help="CA (PEM) that must have signed the server cert")
    p.add_argument("--insecure", action="store_true", help="skip server verification")
    p.add_argument("--alpn", default="quic-backbone-v1")
    p.add_argument("--message", default="hello from aioquic")
    p.add_argument(
        "--message-size",
        type=int,
        help="send this many bytes of a deterministic pattern instead of --message",
    )
    p.add_argument("--streams", type=int, default=1)
    p.add_argument("--certificate", help="client cert chain (PEM) for mTLS")
    p.add_argument("--private-key", help="client key (PEM) for mTLS")
    p.add_argument("--timeout", type=float, default=10.0, help="overall, seconds")
    args = p.parse_args()
    if not args.ca_file and not args.insecure:
        p.error("give --ca-file, or --insecure to skip server verification")
    if bool(args.certificate) != bool(args.private_key):
        p.error("--certificate and --private-key go together")
    if args.streams < 1:
        p.error("--streams must be at least 1")

    # A hard deadline rather than asyncio.timeout: cancelling would still wait
    # out aioquic's closing period (up to ~1 s) before the process could exit.
    def give_up() -> None:
        print(f"FAIL timeout after {args.timeout:g} s", flush=True)
        os._exit(1)

    async def bounded() -> bytes:
        asyncio.get_running_loop().call_later(args.timeout, give_up)
        return await run(args)

    try:
        echo = asyncio.run(bounded())
    except Exception as exc:  # also e.g. an unreadable PEM or unresolvable host
        reason = str(exc) if isinstance(exc, Failure) else f"{type(exc).__name__}: {exc}"
        print("FAIL " + " ".join(reason.split()), flush=True)  # keep it one line
        return 1

    print(f"OK {args.streams}")
    if args.message_size is None:
        print(f"ECHO {echo.decode(errors='replace')}")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())

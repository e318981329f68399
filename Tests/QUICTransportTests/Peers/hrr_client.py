#!/usr/bin/env python3
"""QUIC v1 client that opens like Go 1.25 (aioquic==1.7.2), an interop peer for the QUICTransport tests.

Go 1.25 clients offer the hybrid post-quantum group X25519MLKEM768 (0x11ec)
first, and with a key share for it only. A server without ML-KEM must then ask
for another group with a TLS 1.3 HelloRetryRequest (RFC 8446 section 4.1.4).
aioquic has neither ML-KEM nor, as a client, HelloRetryRequest handling, so
this script swaps in a tls.Context subclass that sends such a ClientHello (the
ML-KEM share is 1216 random bytes: only its size matters, the server cannot
use it), and answers the HelloRetryRequest with a second ClientHello carrying
a real key share for the group the server picked.

After the handshake it sends the message + FIN on one bidirectional stream,
reads the echo up to FIN, compares it with what was sent, and closes the
connection with application error code 0.

stdout protocol (exit status 0 on success, 1 on failure):
  HRR selected_group=0x<group>   the server sent a HelloRetryRequest for <group>
  NO_HRR                         the server chose a group from the first ClientHello
  NEGOTIATED group=0x<group>     the group of the ServerHello's key share
  ECHO ok | ECHO mismatch        not with --handshake-only
  FAIL <reason>                  single line, last, on any failure (also on stderr)
Success means a HelloRetryRequest came (none with --no-mlkem), the handshake
completed and the echo matched.
"""

import argparse
import asyncio
import dataclasses
import ipaddress
import os
import ssl
import sys

from aioquic import tls
from aioquic.asyncio import QuicConnectionProtocol, connect
from aioquic.buffer import Buffer
from aioquic.quic import events
from aioquic.quic.configuration import QuicConfiguration
from cryptography.hazmat.primitives.asymmetric import ec, x25519

X25519MLKEM768 = 0x11EC
MLKEM_SHARE_SIZE = 1184 + 32  # ML-KEM-768 encapsulation key + X25519 public key
# ServerHello.random of a HelloRetryRequest: SHA-256("HelloRetryRequest").
HRR_RANDOM = bytes.fromhex(
    "CF21AD74E59A6111BE1D8C021E65B891C2A211167ABB8C5E079E09E2C8A8339C"
)


class Failure(Exception):
    pass


class AlertUnsupportedExtension(tls.Alert):
    description = tls.AlertDescription.unsupported_extension


class GoLikeContext(tls.Context):
    """The client side of tls.Context, with Go 1.25's key shares and HRR support.

    Only the ClientHello and the handling of the first ServerHello differ from
    aioquic; everything after the (second) ServerHello is aioquic's own code.
    QuicConnection puts whatever the handshake writes to the Initial buffer in
    Initial packets, so the second ClientHello goes there like the first, and
    it carries the same QUIC transport parameters because it is a copy of the
    first one (they are one of its extensions).
    """

    offer_mlkem = True  # set by main() before the connection is made

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.hrr_group: int | None = None  # from the HelloRetryRequest
        self.negotiated_group: int | None = None  # from the ServerHello
        self._first_hello: tls.ClientHello | None = None
        self._hrr_cipher_suite: int | None = None

    def _key_share(self, group: int) -> tls.KeyShareEntry:
        if group == X25519MLKEM768:
            return (group, os.urandom(MLKEM_SHARE_SIZE))
        if group == tls.Group.X25519:
            self._x25519_private_key = x25519.X25519PrivateKey.generate()
            return tls.encode_public_key(self._x25519_private_key.public_key())
        self._ec_private_keys = [ec.generate_private_key(ec.SECP256R1())]
        return tls.encode_public_key(self._ec_private_keys[0].public_key())

    def _client_send_hello(self, output_buf: Buffer) -> None:
        # aioquic's version, less PSK, with Go's groups and a single key share.
        assert self.session_ticket is None, "session resumption is not supported"
        groups = [tls.Group.X25519, tls.Group.SECP256R1]
        if self.offer_mlkem:
            groups.insert(0, X25519MLKEM768)
        try:
            ipaddress.ip_address(self._server_name)
            server_name = None  # no IP literals in SNI
        except ValueError:
            server_name = self._server_name
        self._first_hello = tls.ClientHello(
            random=self.client_random,
            legacy_session_id=self.legacy_session_id,
            cipher_suites=[int(x) for x in self._cipher_suites],
            legacy_compression_methods=self._legacy_compression_methods,
            alpn_protocols=self._alpn_protocols,
            key_share=[self._key_share(groups[0])],
            psk_key_exchange_modes=(
                self._psk_key_exchange_modes if self.new_session_ticket_cb else None
            ),
            server_name=server_name,
            signature_algorithms=self._signature_algorithms,
            supported_groups=groups,
            supported_versions=self._supported_versions,
            other_extensions=self.handshake_extensions,  # QUIC transport parameters
        )
        self._key_schedule_proxy = tls.KeyScheduleProxy(self._cipher_suites)
        self._key_schedule_proxy.extract(None)
        with tls.push_message(self._key_schedule_proxy, output_buf):
            tls.push_client_hello(output_buf, self._first_hello)
        self._set_state(tls.State.CLIENT_EXPECT_SERVER_HELLO)

    def _client_handle_hello(self, input_buf: Buffer, output_buf: Buffer) -> None:
        message = input_buf.data_slice(0, input_buf.capacity)  # .data stops at tell()
        # type (1) + length (3) + legacy_version (2), then the 32-byte random
        if message[6:38] == HRR_RANDOM:
            self._client_handle_hello_retry_request(input_buf, output_buf)
            return
        server_hello = tls.pull_server_hello(Buffer(data=message))
        if self.hrr_group is not None and (
            server_hello.cipher_suite != self._hrr_cipher_suite
            or server_hello.key_share is None
            or server_hello.key_share[0] != self.hrr_group
        ):
            raise tls.AlertIllegalParameter("ServerHello differs from HelloRetryRequest")
        super()._client_handle_hello(input_buf, output_buf)
        self.negotiated_group = server_hello.key_share[0]

    def _client_handle_hello_retry_request(
        self, input_buf: Buffer, output_buf: Buffer
    ) -> None:
        if self.hrr_group is not None:
            raise tls.AlertUnexpectedMessage("second HelloRetryRequest")

        # Parse it here: aioquic's ServerHello parser expects a KeyShareEntry,
        # but an HRR's key_share extension holds just a NamedGroup.
        input_buf.seek(4)
        if input_buf.pull_uint16() != tls.TLS_VERSION_1_2:
            raise tls.AlertDecodeError("HelloRetryRequest version is not 1.2")
        input_buf.pull_bytes(32)  # random
        session_id = tls.pull_opaque(input_buf, 1)
        try:
            cipher_suite = tls.CipherSuite(input_buf.pull_uint16())
        except ValueError:
            raise tls.AlertIllegalParameter("HRR has an unknown cipher suite") from None
        compression_method = input_buf.pull_uint8()
        extensions = {}

        def pull_extension() -> None:
            ext_type = input_buf.pull_uint16()
            if ext_type in extensions:
                raise tls.AlertIllegalParameter(f"duplicate HRR extension {ext_type}")
            extensions[ext_type] = tls.pull_opaque(input_buf, 2)

        tls.pull_list(input_buf, 2, pull_extension)
        if not input_buf.eof():
            raise tls.AlertDecodeError("trailing bytes in HelloRetryRequest")

        hello = self._first_hello
        if (
            session_id != hello.legacy_session_id
            or cipher_suite not in self._cipher_suites
            or compression_method not in self._legacy_compression_methods
            or extensions.get(tls.ExtensionType.SUPPORTED_VERSIONS)
            != tls.TLS_VERSION_1_3.to_bytes(2, "big")
        ):
            raise tls.AlertIllegalParameter("HelloRetryRequest has bad parameters")
        unknown = set(extensions) - {
            tls.ExtensionType.SUPPORTED_VERSIONS,
            tls.ExtensionType.KEY_SHARE,
            tls.ExtensionType.COOKIE,
        }
        if unknown:
            raise AlertUnsupportedExtension(f"HRR extensions {sorted(unknown)}")
        if len(extensions.get(tls.ExtensionType.KEY_SHARE, b"")) != 2:
            # Legal without a key_share (cookie only), but we could not resend
            # a usable ML-KEM share, so give up.
            raise tls.AlertHandshakeFailure("HelloRetryRequest selects no group")
        group = int.from_bytes(extensions[tls.ExtensionType.KEY_SHARE], "big")
        if group not in hello.supported_groups or group == hello.key_share[0][0]:
            raise tls.AlertIllegalParameter(f"HRR selects group 0x{group:04x}")

        # The transcript restarts as message_hash(ClientHello1) + HRR
        # (RFC 8446 section 4.4.1), with the hash of the chosen cipher suite.
        ch1_hash = self._key_schedule_proxy.select(cipher_suite).hash.finalize()
        self._key_schedule_proxy = tls.KeyScheduleProxy([cipher_suite])
        self._key_schedule_proxy.extract(None)
        self._key_schedule_proxy.update_hash(
            bytes([tls.HandshakeType.MESSAGE_HASH, 0, 0, len(ch1_hash)]) + ch1_hash
        )
        self._key_schedule_proxy.update_hash(input_buf.data)  # the whole HRR
        self.hrr_group = group
        self._hrr_cipher_suite = cipher_suite

        # ClientHello2 = ClientHello1 with the one new key share (+ the cookie).
        second_hello = dataclasses.replace(
            hello,
            key_share=[self._key_share(group)],
            other_extensions=hello.other_extensions
            + (
                [(tls.ExtensionType.COOKIE, extensions[tls.ExtensionType.COOKIE])]
                if tls.ExtensionType.COOKIE in extensions
                else []
            ),
        )
        with tls.push_message(self._key_schedule_proxy, output_buf):
            tls.push_client_hello(output_buf, second_hello)
        # still State.CLIENT_EXPECT_SERVER_HELLO


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
        # As in echo_client.py: report the real cause of a close or reset
        # rather than a truncated echo or a timeout.
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


def report_groups(context: GoLikeContext) -> None:
    if context.hrr_group is not None:
        print(f"HRR selected_group=0x{context.hrr_group:04x}", flush=True)
    elif context.negotiated_group is not None:
        print("NO_HRR", flush=True)
    if context.negotiated_group is not None:
        print(f"NEGOTIATED group=0x{context.negotiated_group:04x}", flush=True)


async def run(args: argparse.Namespace) -> None:
    config = QuicConfiguration(
        is_client=True,
        alpn_protocols=[args.alpn],
        server_name=args.server_name,
        verify_mode=ssl.CERT_NONE if args.insecure else ssl.CERT_REQUIRED,
        cafile=args.ca_file,
    )

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
            report_groups(protocol._quic.tls)
            reason = protocol.terminated and describe_close(protocol.terminated)
            raise Failure(f"handshake failed: {reason}") from None
        # Looked up only now: after a Retry, aioquic starts over with a new Context.
        context = protocol._quic.tls
        report_groups(context)
        if args.no_mlkem:
            if context.hrr_group is not None:
                raise Failure("HelloRetryRequest although no ML-KEM share was offered")
        elif context.hrr_group is None:
            raise Failure("no HelloRetryRequest: the server took a group from ClientHello1")

        if not args.handshake_only:
            data = args.message.encode()
            reader, writer = await protocol.create_stream()
            writer.write(data)
            writer.write_eof()
            try:
                echo = await reader.read()  # up to the server's FIN
            except ConnectionError as exc:
                raise Failure(f"stream: {exc}") from None
            if echo != data:
                print("ECHO mismatch", flush=True)
                raise Failure(f"echo mismatch: sent {data!r}, got {echo!r}")
            print("ECHO ok", flush=True)

        protocol.close(error_code=0)
        await protocol.wait_closed()


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
        "--no-mlkem",
        action="store_true",
        help="offer X25519 (with a share) and P-256 only, and expect no HelloRetryRequest",
    )
    p.add_argument(
        "--handshake-only",
        action="store_true",
        help="close after the handshake, no echo (for servers that do not echo)",
    )
    p.add_argument("--timeout", type=float, default=10.0, help="overall, seconds")
    args = p.parse_args()
    if not args.ca_file and not args.insecure:
        p.error("give --ca-file, or --insecure to skip server verification")

    def fail(reason: str) -> None:
        reason = " ".join(reason.split())  # keep it one line
        print(f"FAIL {reason}", flush=True)
        print(f"hrr_client: {reason}", file=sys.stderr, flush=True)

    # A hard deadline rather than asyncio.timeout: cancelling would still wait
    # out aioquic's closing period (up to ~1 s) before the process could exit.
    def give_up() -> None:
        fail(f"timeout after {args.timeout:g} s")
        os._exit(1)

    async def bounded() -> None:
        asyncio.get_running_loop().call_later(args.timeout, give_up)
        await run(args)

    GoLikeContext.offer_mlkem = not args.no_mlkem
    tls.Context = GoLikeContext  # QuicConnection looks it up at call time
    try:
        asyncio.run(bounded())
    except Exception as exc:  # also e.g. an unreadable PEM or unresolvable host
        fail(str(exc) if isinstance(exc, Failure) else f"{type(exc).__name__}: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

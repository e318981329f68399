#!/usr/bin/env python3
"""QUIC v1 echo server (aioquic==1.7.2), an interop peer for the QUICTransport tests.

Every client-initiated bidirectional stream gets back exactly the bytes it
sent, followed by FIN once the client's FIN has arrived.

stdout protocol: one line `LISTENING <port>` once the socket is bound.
The process exits on SIGTERM/SIGINT or when stdin reaches EOF, so it never
outlives the test process that spawned it. Give it a pipe as stdin:
with stdin at /dev/null it exits at once.
"""

import argparse
import asyncio
import os
import signal
import threading

from aioquic import tls
from aioquic.asyncio import QuicConnectionProtocol, serve
from aioquic.quic import events
from aioquic.quic.configuration import QuicConfiguration


class AlertCertificateRequired(tls.Alert):
    description = tls.AlertDescription.certificate_required


def enable_client_auth(require: bool) -> None:
    """Make aioquic's server side request and verify client certificates.

    aioquic 1.7.2 has no public switch for this: the server only sends a
    CertificateRequest when the test-only `_request_client_certificate` flag is
    set, and it never checks the client's chain against `cafile`. So we swap in
    a tls.Context subclass (QuicConnection looks up `tls.Context` at call time).
    Raising an Alert inside the handshake makes the client see a TLS failure
    (CRYPTO_ERROR) instead of a connection that is closed after it was set up.
    """

    class ClientAuthContext(tls.Context):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if not self._is_client:
                self._request_client_certificate = True

        def _server_handle_certificate(self, input_buf):
            super()._server_handle_certificate(input_buf)
            if require and self._peer_certificate is None:
                raise AlertCertificateRequired("client certificate required")

        def _server_handle_certificate_verify(self, input_buf):
            super()._server_handle_certificate_verify(input_buf)  # checks signature
            tls.verify_certificate(
                certificate=self._peer_certificate,
                chain=self._peer_certificate_chain,
                cafile=self._cafile,
            )

    tls.Context = ClientAuthContext


class EchoProtocol(QuicConnectionProtocol):
    # Handle events directly rather than via the base class's StreamReaders:
    # that avoids one task per stream and keeps echoing in arrival order.
    def quic_event_received(self, event: events.QuicEvent) -> None:
        if isinstance(event, events.StreamDataReceived):
            if event.stream_id % 4 != 0:  # only client-initiated bidi streams
                return
            try:
                self._quic.send_stream_data(
                    event.stream_id, event.data, end_stream=event.end_stream
                )
            except RuntimeError:
                pass  # our side was reset (peer sent STOP_SENDING); drop the data
        elif isinstance(event, events.StreamReset) and event.stream_id % 4 == 0:
            # Mirror the abort so the client's read ends instead of hanging.
            self._quic.reset_stream(event.stream_id, event.error_code)
        # transmit() runs after every batch of events (see datagram_received).


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 = ephemeral")
    p.add_argument("--certificate", required=True, help="server cert chain (PEM)")
    p.add_argument("--private-key", required=True, help="server key (PEM)")
    p.add_argument("--alpn", default="quic-backbone-v1")
    p.add_argument("--ca-file", help="CA (PEM) to verify client certificates")
    p.add_argument("--require-client-cert", action="store_true")
    args = p.parse_args()
    if args.require_client_cert and not args.ca_file:
        p.error("--require-client-cert needs --ca-file")

    config = QuicConfiguration(
        is_client=False,
        alpn_protocols=[args.alpn],
        # Generous windows: aioquic is CPU-bound, fewer MAX_DATA round trips help
        # multi-MiB transfers over many concurrent streams.
        max_data=64 * 1024 * 1024,
        max_stream_data=8 * 1024 * 1024,
        idle_timeout=30.0,
    )
    config.load_cert_chain(args.certificate, args.private_key)
    if args.ca_file:
        config.cafile = args.ca_file
        enable_client_auth(require=args.require_client_cert)

    server = await serve(
        args.host, args.port, configuration=config, create_protocol=EchoProtocol
    )
    # With --port 0 only the socket knows the real port.
    port = server._transport.get_extra_info("sockname")[1]
    print(f"LISTENING {port}", flush=True)

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    # A thread rather than loop.add_reader: epoll refuses regular files, and a
    # plain os.read avoids the lock of sys.stdin's buffer, which a daemon thread
    # blocked in it would hold during interpreter shutdown (fatal error).
    def watch_stdin() -> None:
        while os.read(0, 65536):
            pass
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=watch_stdin, daemon=True).start()

    await stop.wait()
    server.close()


if __name__ == "__main__":
    asyncio.run(main())

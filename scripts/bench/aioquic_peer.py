"""The QuicFlow exchange (PROTOCOL.md) between an aioquic server and aioquic
clients in one asyncio loop over loopback: registration (PING/PONG), then
DATA frames with wait_ack answered by an ACK on the same stream. The same
rtt and rps workloads as `quicflow-bench`, for scripts/bench-compare.sh.

Usage: aioquic_peer.py CERT KEY CA {rtt N | rps CONNECTIONS IN_FLIGHT SECONDS}
Prints one JSON line.
"""
import asyncio
import json
import ssl
import struct
import sys
import time

from aioquic.asyncio import connect, serve
from aioquic.asyncio.protocol import QuicConnectionProtocol
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.events import StreamDataReceived

ALPN = ["quic-backbone-v1"]
PING, PONG, DATA, ACK = 1, 2, 3, 4


def varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field_varint(number, value):
    return varint(number << 3) + varint(value) if value else b""


def field_bytes(number, data):
    return varint((number << 3) | 2) + varint(len(data)) + data if data else b""


def parse(data):
    """A protobuf message as {field number: value} (last value wins)."""
    fields, i = {}, 0
    while i < len(data):
        key, i = read_varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = read_varint(data, i)
        elif wire == 2:
            length, i = read_varint(data, i)
            value, i = data[i:i + length], i + length
        else:
            raise ValueError("unexpected wire type %d" % wire)
        fields[number] = value
    return fields


def read_varint(data, i):
    shift = result = 0
    while True:
        byte = data[i]
        i += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, i
        shift += 7


def frame(kind, payload):
    body = field_varint(1, kind) + field_bytes(2, payload) + field_varint(3, int(time.time() * 1000))
    return struct.pack(">I", len(body)) + body


def unframe(data):
    (length,) = struct.unpack(">I", data[:4])
    fields = parse(data[4:4 + length])
    return fields.get(1, 0), fields.get(2, b"")


class Peer(QuicConnectionProtocol):
    """Collects each stream's bytes until FIN; the server answers, the client awaits."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.buffers = {}
        self.waiters = {}

    def quic_event_received(self, event):
        if not isinstance(event, StreamDataReceived):
            return
        buffer = self.buffers.setdefault(event.stream_id, bytearray())
        buffer += event.data
        if not event.end_stream:
            return
        data = bytes(self.buffers.pop(event.stream_id))
        waiter = self.waiters.pop(event.stream_id, None)
        if waiter is not None:
            waiter.set_result(data)
        else:
            self.answer(event.stream_id, data)

    def answer(self, stream_id, data):
        kind, payload = unframe(data)
        if kind == PING:
            reply = frame(PONG, field_varint(1, int(time.time() * 1000)))
        elif kind == DATA:
            message = parse(payload)
            if not message.get(6):
                self._quic.send_stream_data(stream_id, b"", end_stream=True)
                self.transmit()
                return
            reply = frame(ACK, field_bytes(1, message.get(1, b"")) + field_varint(2, 1))
        else:
            return
        self._quic.send_stream_data(stream_id, reply, end_stream=True)
        self.transmit()

    async def exchange(self, data):
        stream_id = self._quic.get_next_available_stream_id()
        waiter = asyncio.get_running_loop().create_future()
        self.waiters[stream_id] = waiter
        self._quic.send_stream_data(stream_id, data, end_stream=True)
        self.transmit()
        return await waiter


async def client(port, ca, client_id, body):
    configuration = QuicConfiguration(is_client=True, alpn_protocols=ALPN, server_name="localhost")
    configuration.load_verify_locations(ca)
    manager = connect("127.0.0.1", port, configuration=configuration, create_protocol=Peer)
    protocol = await manager.__aenter__()
    kind, _ = unframe(await protocol.exchange(frame(PING, field_bytes(1, client_id.encode()))))
    assert kind == PONG, "registration failed"
    counter = [0]

    async def send():
        counter[0] += 1
        message = (field_bytes(1, ("%s-%d" % (client_id, counter[0])).encode()) + field_bytes(2, client_id.encode())
                   + field_varint(4, 2) + field_bytes(5, body) + field_varint(6, 1))
        kind, _ = unframe(await protocol.exchange(frame(DATA, message)))
        assert kind == ACK

    return manager, send


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] if ordered else 0


async def main():
    cert, key, ca, workload = sys.argv[1:5]
    configuration = QuicConfiguration(is_client=False, alpn_protocols=ALPN)
    configuration.load_cert_chain(cert, key)
    server = await serve("127.0.0.1", 0, configuration=configuration, create_protocol=Peer)
    port = server._transport.get_extra_info("sockname")[1]
    body = b"a" * 64
    if workload == "rtt":
        count = int(sys.argv[5])
        manager, send = await client(port, ca, "py-rtt", body)
        for _ in range(500):
            await send()
        latencies = []
        start = time.perf_counter()
        for _ in range(count):
            sent = time.perf_counter()
            await send()
            latencies.append((time.perf_counter() - sent) * 1e6)
        elapsed = time.perf_counter() - start
        await manager.__aexit__(None, None, None)
        result = {"workload": "aioquic_rtt", "messages": count, "p50_us": percentile(latencies, 50),
                  "p99_us": percentile(latencies, 99), "p999_us": percentile(latencies, 99.9),
                  "msgs_per_s": count / elapsed}
    else:
        connections, in_flight, seconds = int(sys.argv[5]), int(sys.argv[6]), float(sys.argv[7])
        clients = [await client(port, ca, "py-rps-%d" % i, body) for i in range(connections)]
        latencies = []
        end = time.perf_counter() + seconds

        async def lane(send):
            while time.perf_counter() < end:
                sent = time.perf_counter()
                await send()
                latencies.append((time.perf_counter() - sent) * 1e6)

        await asyncio.gather(*(lane(send) for _, send in clients for _ in range(in_flight)))
        for manager, _ in clients:
            await manager.__aexit__(None, None, None)
        result = {"workload": "aioquic_rps", "connections": connections, "in_flight": in_flight,
                  "msgs_per_s": len(latencies) / seconds, "p50_us": percentile(latencies, 50),
                  "p99_us": percentile(latencies, 99)}
    server.close()
    print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in result.items()}))


asyncio.run(main())

"""A websocket client that never reads, against a real Daphne with its embedded workers: does it
grow the server's memory, or delay everyone else's frames?

Runs stream at 10x (10 windows a second each), watched by N well-behaved clients that ack
(bench/stream_client.py), connected once for the whole bench. First a baseline phase with only
them (its first 5 s, their own snapshots, left out); then, in the same server, a slow reader
joins for 60 s: a raw socket with a tiny receive buffer that completes the handshake
and never reads again (so the TCP buffers fill and the server's own outbox is all that is left),
and sends a resync request ten times a second, which used to make the server buffer a snapshot
each. Reports the Daphne process's RSS (VmRSS from /proc) before, at most and after, and the
well-behaved clients' frame delay p50 / p99 in each phase.

    .venv/bin/python bench/slow_reader.py                       # 20 clients, 2 runs, 20 s + 60 s
    .venv/bin/python bench/slow_reader.py --clients 5 --baseline 10 --slow 20
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # tests/livelab.py
from bench.stream_client import start_runs, watch  # noqa: E402
from livelab import free_port, start_lab  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WARMUP_S = 5.0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def client_frame(text: str) -> bytes:
    """A masked websocket text frame, as a client must send it."""
    payload = text.encode()
    mask = os.urandom(4)
    assert len(payload) < 126
    return bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def slow_reader(port: int, run_id: str, session: str, seconds: float, stop: threading.Event) -> dict[str, int]:
    """Connect, read the handshake answer, then never read again; ask for a resync 10 times a second."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: the window stays small
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /ws/runs/{run_id}/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                  f"Origin: http://127.0.0.1:{port}\r\nCookie: sessionid={session}\r\n\r\n").encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(1)  # byte by byte: nothing of the frames after it is read
    assert answer.startswith(b"HTTP/1.1 101"), answer[:200]
    sent = 0
    sock.settimeout(1.0)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not stop.is_set():
        try:
            sock.sendall(client_frame('{"type": "resync"}'))
            sent += 1
        except (socket.timeout, OSError):
            pass
        time.sleep(0.1)
    sock.close()
    return {"resyncs_sent": sent}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered))) - 1))]


def watch_all(port: int, run_ids: list[str], session: str, clients: int, seconds: float,
              samples: list[tuple[float, float]], stats: dict[str, int]) -> None:
    """The well-behaved clients, connected once for both phases; (arrival time, delay ms) each."""
    until = time.time() + seconds
    origin = f"http://127.0.0.1:{port}"

    async def everyone() -> None:
        await asyncio.gather(*(watch(f"ws://127.0.0.1:{port}/ws/runs/{run_ids[i % len(run_ids)]}/", origin, session,
                                     delays, stats, until) for i in range(clients)))

    class Stamped(list):  # the shared client appends delays; stamp each with its arrival
        def append(self, delay: float) -> None:
            samples.append((time.time(), delay * 1000))

    delays = Stamped()
    asyncio.run(everyone())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--baseline", type=float, default=20.0, help="wall seconds without the slow reader")
    parser.add_argument("--slow", type=float, default=60.0, help="wall seconds with the slow reader")
    parser.add_argument("--example", default="two_regions_geo_routing")
    args = parser.parse_args()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    n = str(args.runs + 1)
    with tempfile.TemporaryDirectory() as tmp:
        server = start_lab(port, Path(tmp) / "slow.sqlite3", workers=2, ARCHLAB_MAX_ACTIVE_RUNS=n,
                           ARCHLAB_VISITOR_RUNNING=n, ARCHLAB_VISITOR_QUEUED=n)
        try:
            wall = args.baseline + args.slow + 30
            run_ids, session = start_runs(base, args.runs, duration_s=wall * 10, example=args.example)
            time.sleep(5)  # the runs start and have windows to snapshot
            samples: list[tuple[float, float]] = []
            stats = {"frames": 0, "gaps": 0}
            clients = threading.Thread(target=watch_all, args=(port, run_ids, session, args.clients,
                                                               args.baseline + args.slow, samples, stats))
            started = time.time()
            clients.start()
            time.sleep(args.baseline)
            before = rss_mb(server.pid)
            slow_from = time.time()
            stop = threading.Event()
            peak = [before]

            def sample() -> None:
                while not stop.wait(0.5):
                    peak[0] = max(peak[0], rss_mb(server.pid))

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            result: dict[str, int] = {}
            reader = threading.Thread(target=lambda: result.update(
                slow_reader(port, run_ids[0], session, args.slow, stop)), daemon=True)
            reader.start()
            clients.join()
            during = rss_mb(server.pid)
            stop.set()
            reader.join(10)
            sampler.join(2)
            time.sleep(2)
            after = rss_mb(server.pid)
            # The first seconds are the clients' own snapshots, not the steady state.
            quiet = [d for t, d in samples if started + WARMUP_S <= t < slow_from]
            loaded = [d for t, d in samples if t >= slow_from + 1]
        finally:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:  # a server with a huge outbox can take a while to go
                server.kill()
                server.wait(10)
    print(f"{args.clients} clients on {args.runs} runs of {args.example} at 10 windows/s; "
          f"slow reader on run 1 for {args.slow:g} s ({result.get('resyncs_sent', 0)} resync requests, never reading)")
    print(f"server RSS MB: before {before:.1f}, at the end of the slow phase {during:.1f}, peak {peak[0]:.1f}, "
          f"after it left {after:.1f}; growth {peak[0] - before:+.1f} MB (target <= +20)")
    print(f"{stats['frames']} frames, {stats['gaps']} gaps, largest frame {stats.get('largest', 0):,} B")
    for name, ms in (("without the slow reader", quiet), ("with the slow reader", loaded)):
        if ms:
            print(f"frame delay ms {name}: p50 {statistics.median(ms):.1f}  p99 {percentile(ms, 0.99):.1f}  "
                  f"({len(ms)} frames)")
    if quiet and loaded:
        print(f"ratios with/without: p50 {statistics.median(loaded) / statistics.median(quiet):.2f}, "
              f"p99 {percentile(loaded, 0.99) / percentile(quiet, 0.99):.2f}")


if __name__ == "__main__":
    main()

"""A TCP proxy on 127.0.0.1 that delays every chunk by a fixed time each way: a database "a
network away" (a managed PostgreSQL server) for the load benchmark, on one machine.

    python -m benchmarks.latency_proxy --target 127.0.0.1:5432 --listen 127.0.0.1:6432 --delay-ms 0.5

then point ``--database-url`` (or ``BENCH_DATABASE_URL``) at port 6432. A round trip then costs
about twice the delay more than directly (threads and ``time.sleep``, whose resolution is far
finer than an event loop's millisecond); the order of the bytes is kept.
"""

from __future__ import annotations

import argparse
import contextlib
import queue
import socket
import threading
import time


def _pipe(source: socket.socket, target: socket.socket, delay: float) -> None:
    chunks: queue.SimpleQueue[tuple[float, bytes]] = queue.SimpleQueue()

    def forward() -> None:
        with contextlib.suppress(OSError):
            while True:
                due, chunk = chunks.get()
                if not chunk:
                    break
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                target.sendall(chunk)
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)

    sender = threading.Thread(target=forward, daemon=True)
    sender.start()
    with contextlib.suppress(OSError):
        while chunk := source.recv(65536):
            chunks.put((time.monotonic() + delay, chunk))
    chunks.put((0.0, b""))
    sender.join()


def _connect(client: socket.socket, target: tuple[str, int], delay: float) -> None:
    try:
        upstream = socket.create_connection(target)
    except OSError:
        client.close()
        return
    for sock in (client, upstream):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    back = threading.Thread(target=_pipe, args=(upstream, client, delay), daemon=True)
    back.start()
    _pipe(client, upstream, delay)
    back.join()
    client.close()
    upstream.close()


def serve(listen: tuple[str, int], target: tuple[str, int], delay: float) -> None:
    """Accept on ``listen``, connect each client to ``target``, delay both directions."""
    with socket.create_server(listen, reuse_port=False) as server:
        while True:
            client, _ = server.accept()
            threading.Thread(target=_connect, args=(client, target, delay), daemon=True).start()


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host or "127.0.0.1", int(port)


def main(argv: list[str] | None = None) -> int:
    """Run the proxy until interrupted."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--target", default="127.0.0.1:5432")
    parser.add_argument("--listen", default="127.0.0.1:6432")
    parser.add_argument("--delay-ms", type=float, default=0.5, help="added each way, per chunk")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        serve(_address(args.listen), _address(args.target), args.delay_ms / 1000)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

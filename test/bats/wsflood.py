#!/usr/bin/env python3
"""wsflood.py — open many idle WebSocket sessions at once (standard library only).

  wsflood.py URL N [--hold-file FILE] [--timeout SEC]

Opens N connections to URL and performs the handshake on each, in batches, without
ever reading frames afterwards. Prints "accepted A refused R other O" where refused
counts clean HTTP refusals (503/403) and other anything else (resets, timeouts).
Then keeps every accepted session open until FILE exists (or --timeout passes), so
the caller can check the server meanwhile, and closes them all.
"""
import argparse
import base64
import os
import socket
import sys
import time
from urllib.parse import urlparse


def handshake(host, port, path):
    s = socket.create_connection((host, port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n" % (path, host, port, key)).encode())
    return s


def status_of(s):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    line = data.split(b"\r\n", 1)[0].split()
    return int(line[1]) if len(line) > 1 else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("n", type=int)
    ap.add_argument("--hold-file")
    ap.add_argument("--timeout", type=float, default=60)
    a = ap.parse_args()
    u = urlparse(a.url)
    accepted, refused, other = [], 0, 0
    batch = 200
    for start in range(0, a.n, batch):
        socks = []
        for _ in range(min(batch, a.n - start)):
            try:
                socks.append(handshake(u.hostname, u.port, u.path))
            except OSError:
                other += 1
        for s in socks:
            try:
                code = status_of(s)
            except OSError:
                code = 0
            if code == 101:
                accepted.append(s)
            else:
                refused += code in (403, 503)
                other += code not in (403, 503)
                s.close()
    print("accepted %d refused %d other %d" % (len(accepted), refused, other), flush=True)
    deadline = time.time() + a.timeout
    while a.hold_file and not os.path.exists(a.hold_file) and time.time() < deadline:
        time.sleep(0.05)
    for s in accepted:
        s.close()


if __name__ == "__main__":
    sys.exit(main())

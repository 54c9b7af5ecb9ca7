#!/usr/bin/env python3
"""wsclient.py — a small RFC 6455 client for the bats tests (standard library only).

  wsclient.py URL [options]

Connects to ws://HOST:PORT/PATH, sends the --send texts (in order), then prints
every received text frame as one line, "PONG <payload>" for pongs and
"CLOSE <code>" when the server closes, until --count text frames arrived or
--timeout seconds passed. Exit 0 on a completed run, 2 when the handshake is
refused ("HTTP <status>" is printed), 3 on timeout before --count frames.

  -s, --send TEXT     text frame to send after the handshake (repeatable)
  --binary            send one binary frame after the texts
  --big N             send one text frame of N bytes after the texts
  --ping              send a ping after the texts
  --ready FILE        after the sends, ping and wait for the pong (so the server
                      has processed them), then create FILE
  -n, --count N       stop after N text frames (default: run until timeout)
  -t, --timeout SEC   overall time limit (default 5)
  --hold              with --count 0: stay connected until timeout (no output)
"""

import argparse
import base64
import os
import select
import socket
import struct
import sys
import time
from urllib.parse import urlparse


def frame(opcode, payload):
    head = bytes([0x80 | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    mask = os.urandom(4)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


class Conn:
    def __init__(self, url, timeout):
        u = urlparse(url)
        self.sock = socket.create_connection((u.hostname, u.port or 80), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        req = ("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n" % (u.path or "/", u.hostname, u.port or 80, key))
        self.sock.sendall(req.encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            buf += chunk
        head, _, self.buf = buf.partition(b"\r\n\r\n")
        line = head.split(b"\r\n")[0].decode(errors="replace")
        parts = line.split()
        self.status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0

    def send(self, opcode, payload):
        self.sock.sendall(frame(opcode, payload))

    def _need(self, n, deadline):
        while len(self.buf) < n:
            left = deadline - time.time()
            if left <= 0:
                return False
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                return False
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        return True

    def recv(self, deadline):
        """(opcode, payload) of the next frame, or None on timeout."""
        if not self._need(2, deadline):
            return None
        b0, b1 = self.buf[0], self.buf[1]
        n, off = b1 & 0x7F, 2
        if n == 126:
            if not self._need(4, deadline):
                return None
            n, off = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            if not self._need(10, deadline):
                return None
            n, off = struct.unpack("!Q", self.buf[2:10])[0], 10
        if not self._need(off + n, deadline):
            return None
        payload = self.buf[off:off + n]
        self.buf = self.buf[off + n:]
        return b0 & 0x0F, payload


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("-s", "--send", action="append", default=[])
    ap.add_argument("--binary", action="store_true")
    ap.add_argument("--big", type=int, default=0)
    ap.add_argument("--ping", action="store_true")
    ap.add_argument("--ready")
    ap.add_argument("-n", "--count", type=int, default=0)
    ap.add_argument("-t", "--timeout", type=float, default=5.0)
    ap.add_argument("--hold", action="store_true")
    a = ap.parse_args()
    deadline = time.time() + a.timeout
    try:
        c = Conn(a.url, a.timeout)
    except OSError as e:
        print("ERROR %s" % e, flush=True)
        return 2
    if c.status != 101:
        print("HTTP %d" % c.status, flush=True)
        return 2
    try:
        for t in a.send:
            c.send(0x1, t.encode())
        if a.binary:
            c.send(0x2, b"\x00\x01binary")
        if a.big:
            c.send(0x1, b"x" * a.big)
        if a.ping:
            c.send(0x9, b"p")
        if a.ready:
            c.send(0x9, b"ready")
        texts = 0
        while True:
            m = c.recv(deadline)
            if m is None:
                return 0 if (a.count == 0) else 3
            op, payload = m
            if op == 0x1:
                print(payload.decode(errors="replace"), flush=True)
                texts += 1
                if a.count and texts >= a.count:
                    return 0
            elif op == 0x8:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                print("CLOSE %d" % code, flush=True)
                return 0
            elif op == 0xA:
                if a.ready and payload == b"ready":
                    open(a.ready, "w").close()
                else:
                    print("PONG %s" % payload.decode(errors="replace"), flush=True)
            elif op == 0x9:
                c.send(0xA, payload)
    except (EOFError, OSError):
        print("EOF", flush=True)
        return 0


if __name__ == "__main__":
    sys.exit(main())

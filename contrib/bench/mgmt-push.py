#!/usr/bin/env python3
"""mgmt-push.py — how fast a management write reaches discoveryd's subscribers, and
whether discoveryd's loop stays responsive meanwhile.

  mgmt-push.py DISC_PORT MGMT_PORT SERVICE INSTANCE ROUNDS [SERVER_IP]

A WebSocket session on /ws/discovery/instance-change subscribes to SERVICE. Each
round pulls INSTANCE out (operate-instance.json, answered after the commit) and
times, from the moment the answer was read, the "delete" frame naming it; then
pulls it back in and times the "new" frame. With SERVER_IP (which INSTANCE must be
on), the server is then pulled out and back in (operate-server.json), each timed
the same way to INSTANCE's frame (server_ms: the slower of the two).

A second session sends a ping every 5 ms throughout and records the longest time
to its pong: discoveryd answers pings on the loop thread that re-renders, so this
is the longest the loop was busy. Prints one line:

  p50_ms max_ms samples missed ping_max_ms [server_ms]

"missed" counts frames that did not come within 5 s. Standard library only; the
WebSocket framing is test/bats/wsclient.py's.
"""

import http.client
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "../../test/bats"))
from wsclient import Conn  # noqa: E402


def post(c, path, body):
    c.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    if r.status != 200 or b'"success"' not in data:
        sys.exit("%s answered %d %s" % (path, r.status, data[:200]))


def ctx(op, complete):
    return {"operation": op, "operationComplete": complete, "operatorId": "bench",
            "token": "t"}


class Pinger(threading.Thread):
    def __init__(self, url):
        super().__init__(daemon=True)
        self.c = Conn(url, 5)
        self.worst = 0.0
        self.stop = False

    def run(self):
        n = 0
        while not self.stop:
            n += 1
            sent = time.time()
            self.c.send(0x9, str(n).encode())
            while True:
                m = self.c.recv(sent + 30)
                if m is None:
                    self.worst = max(self.worst, 30.0)
                    break
                if m[0] == 0xA and m[1] == str(n).encode():
                    self.worst = max(self.worst, time.time() - sent)
                    break
            time.sleep(0.005)


def wait_frame(ws, svc, iid, kind, deadline):
    while True:
        m = ws.recv(deadline)
        if m is None:
            return None
        if m[0] != 0x1:
            continue
        f = json.loads(m[1])
        inst = f.get("instance") or {}
        if f.get("changeType") == kind and inst.get("instanceId") == iid and \
                inst.get("serviceId") == svc:
            return time.time()


def main():
    disc, mgmt, svc, iid, rounds = sys.argv[1], sys.argv[2], sys.argv[3], \
        sys.argv[4], int(sys.argv[5])
    server = sys.argv[6] if len(sys.argv) > 6 else None
    url = "ws://127.0.0.1:%s/ws/discovery/instance-change" % disc
    ws = Conn(url, 5)
    ws.send(0x1, json.dumps({"serviceId": svc}).encode())
    ws.send(0x9, b"ready")
    while True:
        m = ws.recv(time.time() + 5)
        if m is None:
            sys.exit("no pong from discoveryd")
        if m[0] == 0xA:
            break
    pinger = Pinger(url)
    pinger.start()
    c = http.client.HTTPConnection("127.0.0.1", int(mgmt), timeout=30)
    key = {"regionId": "sha", "serviceId": svc, "instanceId": iid}
    lat, missed = [], 0
    for _ in range(rounds):
        for complete, kind in ((False, "delete"), (True, "new")):
            post(c, "/api/management/operate-instance.json",
                 dict(instanceKey=key, **ctx("pullout", complete)))
            t0 = time.time()
            t1 = wait_frame(ws, svc, iid, kind, t0 + 5)
            if t1 is None:
                missed += 1
            else:
                lat.append((t1 - t0) * 1000)
    server_ms = ""
    if server:
        skey = {"regionId": "sha", "serverId": server}
        worst = 0.0
        for complete, kind in ((False, "delete"), (True, "new")):
            post(c, "/api/management/operate-server.json",
                 dict(serverKey=skey, **ctx("pullout", complete)))
            t0 = time.time()
            t1 = wait_frame(ws, svc, iid, kind, t0 + 60)
            worst = max(worst, (t1 or t0 + 60) - t0)
            time.sleep(0.5)     # the rest of the re-rendering, against the pings
        server_ms = " %.1f" % (worst * 1000)
    time.sleep(0.1)
    pinger.stop = True
    pinger.join(35)
    lat.sort()
    p50 = lat[len(lat) // 2] if lat else 0
    mx = lat[-1] if lat else 0
    print("%.1f %.1f %d %d %.1f%s" % (p50, mx, len(lat), missed,
                                      pinger.worst * 1000, server_ms))


if __name__ == "__main__":
    main()

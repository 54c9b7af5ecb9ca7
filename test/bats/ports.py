#!/usr/bin/env python3
# ports.py OWNER-DIR N — print N TCP ports for daemons that the caller will bind
# later, reserved for as long as OWNER-DIR exists (helpers.bash: the test's $TMP).
#
# Why not bind port 0 and close: the kernel hands that port out again, to
# another bats file's free_port or as the local port of any outgoing connection
# (curl, the daemons' peer polls), in the window before the daemon binds, and a
# node restarted on its old ports leaves a window of seconds. Then /health is
# answered by someone else's daemon and ours dies with EADDRINUSE. So ports come
# from below the ephemeral range (never handed out by the kernel), round-robin,
# and a reservation file per port, made under a lock, keeps every concurrent
# run (parallel bats files, both builds, other engineers) off each other's ports.
import fcntl, os, socket, sys, time

LO, HI = 20000, 32000		# below net.ipv4.ip_local_port_range (32768-60999)
DIR = "/tmp/artemis-bats-ports"
MAX_AGE = 3 * 3600		# a run killed without teardown frees its ports by then


def stale(path):
    try:
        with open(path) as f:
            owner = f.read().strip()
        return not os.path.isdir(owner) or time.time() - os.stat(path).st_mtime > MAX_AGE
    except OSError:
        return True


def bindable(port):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def main():
    owner, n = os.path.abspath(sys.argv[1]), int(sys.argv[2])
    os.makedirs(DIR, exist_ok=True)
    with open(os.path.join(DIR, "lock"), "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with open(os.path.join(DIR, "next")) as f:
                port = int(f.read().strip() or LO)
        except (OSError, ValueError):
            port = LO + os.getpid() % (HI - LO)
        got = []
        for _ in range(HI - LO):
            if len(got) == n:
                break
            port = port + 1 if LO <= port < HI - 1 else LO
            res = os.path.join(DIR, str(port))
            if os.path.exists(res) and not stale(res):
                continue
            if not bindable(port):
                continue
            with open(res, "w") as f:
                f.write(owner + "\n")
            got.append(port)
        with open(os.path.join(DIR, "next"), "w") as f:
            f.write("%d\n" % port)
    if len(got) != n:
        sys.exit("ports.py: no free port in %d-%d" % (LO, HI))
    print(" ".join(map(str, got)))


main()

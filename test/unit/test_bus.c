/* test_bus.c — nng pub/sub hints in a temporary state directory. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nng/nng.h>

#include "bus.h"
#include "sbuf.h"
#include "tap.h"

static int
readable(struct bus_sub *s, int timeout_ms)
{
	struct pollfd pfd = { .fd = bus_sub_fd(s), .events = POLLIN };

	return poll(&pfd, 1, timeout_ms) == 1;
}

/* Publish seq until the subscriber hears something (pub/sub drops to slow joiners);
 * returns 1 with the first hint in *h, 0 on timeout. */
static int
publish_until_heard(struct bus_pub *p, struct bus_sub *s, uint64_t seq,
    struct bus_hint *h)
{
	int64_t deadline = mono_ms() + 5000;

	while (mono_ms() < deadline) {
		if (bus_publish(p, seq) != 0)
			return 0;
		if (readable(s, 20) && bus_sub_recv(s, h) == 1)
			return 1;
	}
	return 0;
}

/* Drain everything that arrives within quiet_ms of the last message. */
static int
drain(struct bus_sub *s, int quiet_ms, int *ngap, uint64_t *last)
{
	struct bus_hint h;
	int n = 0;

	*ngap = 0;
	while (readable(s, quiet_ms)) {
		while (bus_sub_recv(s, &h) == 1) {
			n++;
			*ngap += h.gap;
			*last = h.seq;
		}
	}
	return n;
}

int
main(void)
{
	char dir[] = "/tmp/test_bus.XXXXXX", path[128];
	struct bus_pub *p;
	struct bus_sub *s;
	struct bus_hint h;
	uint64_t last = 0;
	int ngap, n, i;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	/* Subscriber first: the publisher does not exist yet. */
	s = bus_sub_open(dir, "t");
	ok(s != NULL, "subscriber opens before the publisher exists");
	ok(bus_sub_fd(s) >= 0, "subscriber has a pollable fd");
	ok(bus_sub_recv(s, &h) == 0, "nothing waiting");

	/* A stale socket file must not stop the publisher. */
	snprintf(path, sizeof(path), "%s/t.bus", dir);
	fclose(fopen(path, "w"));
	p = bus_pub_open(dir, "t");
	ok(p != NULL, "publisher opens over a stale socket file");
	ok(access(path, F_OK) == 0, "socket file exists");

	ok(publish_until_heard(p, s, 7, &h), "subscriber re-dials and hears the publisher");
	ok(h.seq == 7 && h.gap == 1, "first hint: seq 7, flagged as gap");
	drain(s, 100, &ngap, &last);

	ok(bus_publish(p, 8) == 0 && bus_publish(p, 9) == 0, "publish two more");
	n = drain(s, 200, &ngap, &last);
	ok(n == 2 && ngap == 0 && last == 9, "in-order hints carry no gap (%d, %d, %llu)",
	    n, ngap, (unsigned long long)last);

	/* Overrun the queues: some messages are dropped and the counter jumps. */
	for (i = 0; i < 20000; i++)
		bus_publish(p, 100 + (uint64_t)i);
	n = drain(s, 300, &ngap, &last);
	ok(n < 20000 && ngap >= 1, "dropped hints are detected as a gap (%d received, %d gaps)",
	    n, ngap);

	/* Publisher restart: new id, the subscriber reconnects on its own. */
	bus_pub_close(p);
	p = bus_pub_open(dir, "t");
	ok(p != NULL, "publisher restarts");
	ok(publish_until_heard(p, s, 50000, &h), "subscriber reconnects to the new publisher");
	ok(h.gap == 1 && h.seq == 50000, "restart is flagged as a gap");
	drain(s, 100, &ngap, &last);
	ok(bus_publish(p, 50001) == 0, "publish after restart");
	n = drain(s, 200, &ngap, &last);
	ok(n == 1 && ngap == 0 && last == 50001, "then no gap");

	bus_pub_close(p);
	bus_sub_close(s);
	ok(bus_sub_open("/tmp/0123456789012345678901234567890123456789012345678901234567890"
	    "123456789012345678901234567890123456789", "x") == NULL, "overlong path refused");
	unlink(path);
	rmdir(dir);
	nng_fini();
	return done_testing();
}

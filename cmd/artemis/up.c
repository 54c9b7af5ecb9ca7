/*
 * up.c — `artemis up`: a development node in one terminal. Starts every daemon
 * the configuration gives a listen address, registryd first (the others attach to
 * the instance table it creates), prefixes each line they log with the program's
 * name, and stops them all on SIGINT/SIGTERM. If one dies, the rest are stopped
 * and up exits non-zero, so a supervisor notices.
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "artemis.h"
#include "httpc.h"
#include "sbuf.h"

#define UP_MAX_LINE		4096	/* longer lines are split, never buffered whole */
#define UP_READY_TIMEOUT_MS	30000
#define UP_STOP_TIMEOUT_MS	10000
#define UP_PROBE_INTERVAL_MS	100

struct daemon {
	const char		*name;
	const struct listen_addr *listen;
	int			 phase;		/* 0: registryd, 1: everyone else */
	char			 path[PATH_MAX];
	pid_t			 pid;		/* 0 = not started or reaped */
	int			 fd;		/* log pipe, -1 at EOF */
	int			 ready;
	int			 status;	/* wait status once reaped */
	size_t			 len;
	char			 line[UP_MAX_LINE];
};

struct up {
	struct cli	*cli;
	struct daemon	 d[4];
	size_t		 n;
	int		 width;		/* of the name column */
	int		 stopping;
	int		 failed;
	int64_t		 stop_deadline;
	int		 killed;
};

static int sig_pipe[2] = { -1, -1 };

static void
on_signal(int signo)
{
	unsigned char c = (unsigned char)signo;
	int saved = errno;

	(void)!write(sig_pipe[1], &c, 1);
	errno = saved;
}

static void
say(struct up *up, const char *who, const char *text, size_t len)
{
	printf("%-*s | %.*s\n", up->width, who, (int)len, text);
	fflush(stdout);
}

static void
sayf(struct up *up, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
sayf(struct up *up, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	say(up, "artemis", buf, strnlen(buf, sizeof(buf)));
}

/* The daemons live next to the artemis binary (bin/ or build/<mode>/bin/, or the
 * install prefix); PATH is the fallback. */
static int
find_binary(const char *name, char *out, size_t len)
{
	char self[PATH_MAX], dir[PATH_MAX];
	const char *path;
	char *p, *save, *copy;
	ssize_t n;

	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0) {
		self[n] = '\0';
		strlcpy(dir, dirname(self), sizeof(dir));
		if ((size_t)snprintf(out, len, "%s/%s", dir, name) < len &&
		    access(out, X_OK) == 0)
			return 0;
	}
	if ((path = getenv("PATH")) == NULL || (copy = strdup(path)) == NULL)
		return -1;
	for (p = strtok_r(copy, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
		if ((size_t)snprintf(out, len, "%s/%s", *p ? p : ".", name) < len &&
		    access(out, X_OK) == 0) {
			free(copy);
			return 0;
		}
	}
	free(copy);
	return -1;
}

static int
mkdir_p(const char *dir)
{
	char buf[PATH_MAX], *p;

	if (strlcpy(buf, dir, sizeof(buf)) >= sizeof(buf))
		return -1;
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, 0755) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

static void __attribute__((noreturn))
child_exec(struct up *up, struct daemon *d, int wfd, pid_t parent)
{
	char *args[8];
	sigset_t none;
	int i = 0, v, null;

	/* Own process group: a terminal's ^C reaches only us, and we stop the
	 * daemons in order. PDEATHSIG: if up is killed, the daemons follow. */
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(127);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if ((null = open("/dev/null", O_RDONLY)) != -1)
		dup2(null, STDIN_FILENO);
	dup2(wfd, STDOUT_FILENO);
	dup2(wfd, STDERR_FILENO);
	args[i++] = (char *)d->name;
	args[i++] = "-f";
	args[i++] = (char *)up->cli->conf_file;
	for (v = 0; v < up->cli->verbose && v < 3; v++)
		args[i++] = "-v";
	args[i] = NULL;
	execv(d->path, args);
	dprintf(STDERR_FILENO, "cannot execute %s: %s\n", d->path, strerror(errno));
	_exit(127);
}

static int
start_daemon(struct up *up, struct daemon *d)
{
	int p[2];
	pid_t parent = getpid();

	if (pipe2(p, O_CLOEXEC) == -1) {
		sayf(up, "pipe: %s", strerror(errno));
		return -1;
	}
	switch ((d->pid = fork())) {
	case -1:
		sayf(up, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		d->pid = 0;
		return -1;
	case 0:
		close(p[0]);
		child_exec(up, d, p[1], parent);
	}
	close(p[1]);
	d->fd = p[0];
	fcntl(d->fd, F_SETFL, fcntl(d->fd, F_GETFL) | O_NONBLOCK);
	sayf(up, "started %s (pid %ld)", d->name, (long)d->pid);
	return 0;
}

static void
signal_all(struct up *up, int signo)
{
	size_t i;

	for (i = 0; i < up->n; i++)
		if (up->d[i].pid > 0)
			kill(up->d[i].pid, signo);
}

static void
begin_stop(struct up *up, const char *why, int failed)
{
	if (failed)
		up->failed = 1;
	if (up->stopping)
		return;
	up->stopping = 1;
	up->stop_deadline = mono_ms() + UP_STOP_TIMEOUT_MS;
	sayf(up, "%s; stopping all daemons", why);
	signal_all(up, SIGTERM);
}

static void
describe_status(int st, char *buf, size_t len)
{
	if (WIFEXITED(st))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(st),
		    strsignal(WTERMSIG(st)));
	else
		snprintf(buf, len, "stopped (status %#x)", st);
}

static void
reap(struct up *up)
{
	char what[128], why[256];
	pid_t pid;
	size_t i;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (i = 0; i < up->n; i++) {
			if (up->d[i].pid != pid)
				continue;
			up->d[i].pid = 0;
			up->d[i].status = st;
			describe_status(st, what, sizeof(what));
			sayf(up, "%s %s", up->d[i].name, what);
			if (!up->stopping) {
				snprintf(why, sizeof(why), "%s died", up->d[i].name);
				begin_stop(up, why, 1);
			} else if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0) && !up->killed)
				up->failed = 1;	/* did not stop cleanly on SIGTERM */
		}
	}
}

static void
flush_line(struct up *up, struct daemon *d)
{
	if (d->len > 0)
		say(up, d->name, d->line, d->len);
	d->len = 0;
}

static void
read_logs(struct up *up, struct daemon *d)
{
	char buf[8192];
	ssize_t n, i;

	for (;;) {
		n = read(d->fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0) {	/* EOF or error: the daemon closed its side */
			flush_line(up, d);
			close(d->fd);
			d->fd = -1;
			return;
		}
		for (i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				flush_line(up, d);
				continue;
			}
			if (d->len == sizeof(d->line))
				flush_line(up, d);
			d->line[d->len++] = buf[i];
		}
	}
}

static void
handle_signals(struct up *up)
{
	unsigned char sigs[64];
	ssize_t n, i;

	while ((n = read(sig_pipe[0], sigs, sizeof(sigs))) > 0) {
		for (i = 0; i < n; i++)
			if (sigs[i] == SIGINT || sigs[i] == SIGTERM)
				begin_stop(up, sigs[i] == SIGINT ? "interrupted" :
				    "terminated", 0);
	}
	reap(up);
}

static int
probe_health(struct daemon *d)
{
	struct httpc_result res;
	char base[128];
	const char *host = d->listen->host;
	int ok;

	if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "*") == 0)
		host = "127.0.0.1";
	else if (strcmp(host, "::") == 0 || strcmp(host, "[::]") == 0)
		host = "[::1]";
	snprintf(base, sizeof(base), "http://%s:%d", host, d->listen->port);
	memset(&res, 0, sizeof(res));
	ok = httpc_get(base, "/health", 1000, &res) == 0 && res.status == 200;
	httpc_result_free(&res);
	return ok;
}

static int
all_exited(struct up *up)
{
	size_t i;

	for (i = 0; i < up->n; i++)
		if (up->d[i].pid > 0 || up->d[i].fd != -1)
			return 0;
	return 1;
}

/* Start the daemons of one phase; returns how many were started. */
static int
start_phase(struct up *up, int phase)
{
	size_t i;
	int started = 0;

	for (i = 0; i < up->n; i++) {
		if (up->d[i].phase != phase)
			continue;
		if (start_daemon(up, &up->d[i]) == -1) {
			begin_stop(up, "cannot start", 1);
			return started;
		}
		started++;
	}
	return started;
}

/* 1 when every daemon of the phase answers /health. */
static int
phase_ready(struct up *up, int phase)
{
	size_t i;
	int all = 1;

	for (i = 0; i < up->n; i++) {
		struct daemon *d = &up->d[i];

		if (d->phase != phase || d->ready)
			continue;
		if (d->pid > 0 && probe_health(d)) {
			d->ready = 1;
			sayf(up, "%s ready on %s:%d", d->name, d->listen->host,
			    d->listen->port);
		} else
			all = 0;
	}
	return all;
}

static int
run_loop(struct up *up)
{
	struct pollfd pfd[5];
	struct daemon *map[5];
	int phase = 0, nfds, i, timeout;
	int64_t phase_deadline = mono_ms() + UP_READY_TIMEOUT_MS, next_probe = 0;
	int up_ready = 0;

	if (start_phase(up, 0) == 0 && !up->stopping)
		phase = 1, start_phase(up, 1);
	while (!(up->stopping && all_exited(up))) {
		nfds = 0;
		pfd[nfds].fd = sig_pipe[0];
		pfd[nfds].events = POLLIN;
		map[nfds++] = NULL;
		for (i = 0; (size_t)i < up->n; i++)
			if (up->d[i].fd != -1) {
				pfd[nfds].fd = up->d[i].fd;
				pfd[nfds].events = POLLIN;
				map[nfds++] = &up->d[i];
			}
		timeout = (!up_ready || up->stopping) ? UP_PROBE_INTERVAL_MS : -1;
		if (poll(pfd, nfds, timeout) == -1 && errno != EINTR) {
			sayf(up, "poll: %s", strerror(errno));
			begin_stop(up, "internal error", 1);
		}
		for (i = 1; i < nfds; i++)
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				read_logs(up, map[i]);
		handle_signals(up);
		if (up->stopping) {
			if (!up->killed && mono_ms() > up->stop_deadline) {
				sayf(up, "daemons still running after %ds; killing them",
				    UP_STOP_TIMEOUT_MS / 1000);
				signal_all(up, SIGKILL);
				up->killed = 1;
				up->failed = 1;
			}
			continue;
		}
		if (up_ready || mono_ms() < next_probe)
			continue;
		next_probe = mono_ms() + UP_PROBE_INTERVAL_MS;
		if (phase_ready(up, phase)) {
			if (phase == 0) {
				phase = 1;
				phase_deadline = mono_ms() + UP_READY_TIMEOUT_MS;
				start_phase(up, 1);
				continue;
			}
			up_ready = 1;
			sayf(up, "node ready: %zu daemon%s; ^C stops", up->n,
			    up->n == 1 ? "" : "s");
		} else if (mono_ms() > phase_deadline)
			begin_stop(up, "a daemon did not answer GET /health in time", 1);
	}
	return up->failed ? EXIT_FAIL : 0;
}

static int
setup_signals(void)
{
	struct sigaction sa;

	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) == -1 || sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGCHLD, &sa, NULL) == -1)
		return -1;
	return 0;
}

static void
add_daemon(struct up *up, const char *name, const struct listen_addr *l, int phase)
{
	struct daemon *d;

	if (!l->set)
		return;
	d = &up->d[up->n++];
	memset(d, 0, sizeof(*d));
	d->name = name;
	d->listen = l;
	d->phase = phase;
	d->fd = -1;
}

int
cmd_up(struct cli *cli, const struct command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = { COMMON_LONGOPTS, { NULL, 0, NULL, 0 } };
	struct up up;
	size_t i;
	int ch;

	while ((ch = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts, NULL)) != -1)
		cli_common_opt(cli, cmd, ch);
	if (optind != argc)
		cli_usage(cmd, EXIT_USAGE);
	if (cli_config(cli, 1) == -1)
		return EXIT_FAIL;

	memset(&up, 0, sizeof(up));
	up.cli = cli;
	up.width = (int)strlen("artemis");
	add_daemon(&up, "artemis-registryd", &cli->conf.registryd_listen, 0);
	add_daemon(&up, "artemis-discoveryd", &cli->conf.discoveryd_listen, 1);
	add_daemon(&up, "artemis-mgmtd", &cli->conf.mgmtd_listen, 1);
	add_daemon(&up, "artemis-replicator", &cli->conf.replicator_listen, 1);
	if (up.n == 0) {
		cli_err(cli, "%s configures no daemon (no section has a listen key)",
		    cli->conf_file);
		return EXIT_FAIL;
	}
	for (i = 0; i < up.n; i++) {
		if (find_binary(up.d[i].name, up.d[i].path, sizeof(up.d[i].path)) == -1) {
			cli_err(cli, "%s not found next to this program nor in PATH",
			    up.d[i].name);
			return EXIT_FAIL;
		}
		if ((int)strlen(up.d[i].name) > up.width)
			up.width = (int)strlen(up.d[i].name);
	}
	if (mkdir_p(cli->conf.state_dir) == -1) {
		cli_err(cli, "state directory %s: %s", cli->conf.state_dir,
		    strerror(errno));
		return EXIT_FAIL;
	}
	if (setup_signals() == -1) {
		cli_err(cli, "signals: %s", strerror(errno));
		return EXIT_FAIL;
	}
	return run_loop(&up);
}

/*
 * register.c — `artemis register`: register an instance, keep its lease alive
 * with heartbeats, unregister on exit. With `-- CMD ARGS` it runs the command and
 * keeps the instance registered exactly while the command lives, like a tiny
 * sidecar; the exit status is then the command's.
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"

#define MAX_METADATA	64

static int reg_pipe[2] = { -1, -1 };

static void
reg_signal(int signo)
{
	unsigned char c = (unsigned char)signo;
	int saved = errno;

	(void)!write(reg_pipe[1], &c, 1);
	errno = saved;
}

/* host and port of an http(s) URL, for the instance's ip and port defaults. */
static void
url_host_port(const char *url, char *host, size_t hl, int *port)
{
	const char *p = strstr(url, "://"), *e, *colon;
	size_t n;

	*port = strncmp(url, "https:", 6) == 0 ? 443 : 80;
	host[0] = '\0';
	p = p ? p + 3 : url;
	e = p + strcspn(p, "/?#");
	colon = memchr(p, ':', e - p);
	n = (size_t)((colon ? colon : e) - p);
	if (n < hl) {
		memcpy(host, p, n);
		host[n] = '\0';
	}
	if (colon)
		*port = atoi(colon + 1);
}

static struct json_object *
instances_body(struct json_object *inst)
{
	struct json_object *req = json_object_new_object(), *arr = json_object_new_array();

	json_object_array_add(arr, json_object_get(inst));
	json_object_object_add(req, "instances", arr);
	return req;
}

/* One registry call; 0, or an exit code. *relost is set when a heartbeat says the
 * lease is gone (data-not-found / unknown): the caller registers again. */
static int
registry_call(struct cli *cli, const char *path, struct json_object *inst, int *lost)
{
	struct json_object *req = instances_body(inst), *resp = NULL, *failed, *f;
	const char *code;
	int rc;

	if (lost)
		*lost = 0;
	rc = api_request(cli, "registry", path, req, &resp);
	json_object_put(req);
	if (rc != 0)
		return rc;
	failed = api_get(resp, "failedInstances");
	if (failed && json_object_is_type(failed, json_type_array) &&
	    json_object_array_length(failed) > 0) {
		f = json_object_array_get_idx(failed, 0);
		code = api_str(f, "errorCode");
		if (lost && code && (strcmp(code, "data-not-found") == 0 ||
		    strcmp(code, "unknown") == 0))
			*lost = 1;
		else
			cli_err(cli, "%s: %s", code ? code : "failed",
			    api_str(f, "errorMessage") ? api_str(f, "errorMessage") : "");
		json_object_put(resp);
		return (lost && *lost) ? 0 : EXIT_FAIL;
	}
	rc = api_status_code(cli, resp);
	json_object_put(resp);
	return rc;
}

static pid_t
spawn(struct cli *cli, char **argv)
{
	pid_t pid = fork();

	if (pid == -1) {
		cli_err(cli, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		execvp(argv[0], argv);
		fprintf(stderr, "%s: cannot run %s: %s\n", cli->name, argv[0],
		    strerror(errno));
		_exit(127);
	}
	return pid;
}

static int
exit_status_of(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return EXIT_FAIL;
}

/* Heartbeat until a signal or the child's end. Returns the exit status. */
static int
keep_alive(struct cli *cli, struct json_object *inst, int64_t interval_ms, pid_t child)
{
	struct pollfd pfd = { reg_pipe[0], POLLIN, 0 };
	unsigned char sigs[16];
	int64_t next = mono_ms() + interval_ms, wait;
	int lost, st, rc;
	ssize_t n, i;

	for (;;) {
		wait = next - mono_ms();
		if (wait < 0)
			wait = 0;
		if (poll(&pfd, 1, (int)wait) > 0) {
			n = read(reg_pipe[0], sigs, sizeof(sigs));
			for (i = 0; i < n; i++) {
				if (sigs[i] == SIGCHLD)
					continue;
				if (child > 0)
					kill(child, sigs[i]);	/* it decides; we follow */
				else
					return 0;
			}
			if (child > 0 && waitpid(child, &st, WNOHANG) == child)
				return exit_status_of(st);
			continue;
		}
		next = mono_ms() + interval_ms;
		rc = registry_call(cli, "/api/registry/heartbeat.json", inst, &lost);
		if (rc == 0 && lost) {
			cli_err(cli, "lease lost; registering again");
			registry_call(cli, "/api/registry/register.json", inst, NULL);
		} else if (rc != 0)
			cli_err(cli, "heartbeat failed; retrying in %lldms",
			    (long long)interval_ms);
	}
}

static int
setup_reg_signals(void)
{
	struct sigaction sa;

	if (pipe2(reg_pipe, O_CLOEXEC | O_NONBLOCK) == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = reg_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) == -1 || sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGHUP, &sa, NULL) == -1 || sigaction(SIGCHLD, &sa, NULL) == -1)
		return -1;
	return 0;
}

int
cmd_register(struct cli *cli, const struct command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "service-id", required_argument, NULL, OPT_SERVICE_ID },
		{ "instance-id", required_argument, NULL, OPT_INSTANCE_ID },
		{ "registry", required_argument, NULL, OPT_TABLE },
		{ "port", required_argument, NULL, OPT_PORT },
		{ "ip", required_argument, NULL, OPT_IP },
		{ "region", required_argument, NULL, OPT_REGION },
		{ "zone", required_argument, NULL, OPT_ZONE },
		{ "metadata", required_argument, NULL, OPT_METADATA },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "status", required_argument, NULL, OPT_STATUS },
		{ NULL, 0, NULL, 0 },
	};
	const char *service = NULL, *instance_id = NULL, *url = NULL, *ip = NULL;
	const char *region = NULL, *zone = NULL, *status = "up", *errstr = NULL;
	const char *meta[MAX_METADATA];
	struct json_object *inst, *md;
	char host[256], idbuf[320];
	int64_t interval = 5000;
	int ch, port = -1, url_port, rc, nmeta = 0, i, st;
	pid_t child = 0;

	while ((ch = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_SERVICE_ID: service = optarg; break;
		case OPT_INSTANCE_ID: instance_id = optarg; break;
		case OPT_URL: url = optarg; break;	/* the instance's URL, not --url */
		case OPT_TABLE: cli->url = optarg; break;	/* --registry URL */
		case OPT_IP: ip = optarg; break;
		case OPT_REGION: region = optarg; break;
		case OPT_ZONE: zone = optarg; break;
		case OPT_STATUS: status = optarg; break;
		case OPT_PORT:
			port = (int)strtonum(optarg, 0, 65535, &errstr);
			if (errstr) {
				cli_err(cli, "--port %s is %s", optarg, errstr);
				cli_usage(cmd, EXIT_USAGE);
			}
			break;
		case OPT_INTERVAL:
			if (config_parse_duration(optarg, &interval) == -1 ||
			    interval < 100) {
				cli_err(cli, "--interval wants a duration >= 100ms");
				cli_usage(cmd, EXIT_USAGE);
			}
			break;
		case OPT_METADATA:
			if (strchr(optarg, '=') == NULL || nmeta == MAX_METADATA) {
				cli_err(cli, "--metadata wants key=value");
				cli_usage(cmd, EXIT_USAGE);
			}
			meta[nmeta++] = optarg;
			break;
		default: cli_common_opt(cli, cmd, ch);
		}
	}
	if (service == NULL || url == NULL) {
		cli_err(cli, "missing %s", service == NULL ? "--service-id" : "--url");
		cli_usage(cmd, EXIT_USAGE);
	}
	if (optind < argc && strcmp(argv[optind - 1], "--") != 0) {
		cli_err(cli, "put the command after --");
		cli_usage(cmd, EXIT_USAGE);
	}
	if ((region = api_region(cli, region)) == NULL ||
	    (zone = api_zone(cli, zone)) == NULL) {
		cli_err(cli, "no region/zone: give --region and --zone or a configuration");
		return EXIT_USAGE;
	}
	url_host_port(url, host, sizeof(host), &url_port);
	if (port < 0)
		port = url_port;
	if (instance_id == NULL) {
		snprintf(idbuf, sizeof(idbuf), "%s:%d", host, port);
		instance_id = idbuf;
	}
	inst = json_object_new_object();
	api_add_str(inst, "regionId", region);
	api_add_str(inst, "zoneId", zone);
	api_add_str(inst, "serviceId", service);
	api_add_str(inst, "instanceId", instance_id);
	api_add_str(inst, "url", url);
	api_add_str(inst, "ip", ip ? ip : host);
	json_object_object_add(inst, "port", json_object_new_int(port));
	api_add_str(inst, "protocol", strncmp(url, "https:", 6) == 0 ? "https" : "http");
	api_add_str(inst, "status", status);
	md = json_object_new_object();
	for (i = 0; i < nmeta; i++) {
		const char *eq = strchr(meta[i], '=');
		char k[256];

		snprintf(k, sizeof(k), "%.*s", (int)(eq - meta[i]), meta[i]);
		api_add_str(md, k, eq + 1);
	}
	json_object_object_add(inst, "metadata", md);

	if (setup_reg_signals() == -1) {
		cli_err(cli, "signals: %s", strerror(errno));
		json_object_put(inst);
		return EXIT_FAIL;
	}
	if (optind < argc && (child = spawn(cli, argv + optind)) == -1) {
		json_object_put(inst);
		return EXIT_FAIL;
	}
	if ((rc = registry_call(cli, "/api/registry/register.json", inst, NULL)) != 0) {
		if (child > 0) {
			kill(child, SIGTERM);
			waitpid(child, &st, 0);
		}
		json_object_put(inst);
		return rc;
	}
	if (cli->verbose)
		fprintf(stderr, "%s: registered %s %s\n", cli->name, service, instance_id);
	rc = keep_alive(cli, inst, interval, child);
	if (registry_call(cli, "/api/registry/unregister.json", inst, NULL) != 0 &&
	    child == 0)
		rc = EXIT_FAIL;
	json_object_put(inst);
	return rc;
}

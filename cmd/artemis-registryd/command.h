/*
 * command.h — registryd's "must-arrive command" channel (ARCHITECTURE.md: daemons
 * of one node never call each other over HTTP; must-arrive commands use nng
 * req/rep). registryd answers on ipc://<state-dir>/registry.cmd.
 *
 * A request is "<verb> <JSON body>"; the reply is registryd's response JSON for
 * that body, exactly as the HTTP door would answer it (a body the HTTP door would
 * refuse with 400 is answered with a bad-request failure). Verbs:
 *
 *   replicate-register    = POST /api/replication/registry/register.json
 *   replicate-heartbeat   = POST /api/replication/registry/heartbeat.json
 *   replicate-unregister  = POST /api/replication/registry/unregister.json
 *
 * The replicator uses replicate-register to apply what it fetched from a peer
 * during bootstrap (§9.5); the changes are journalled ORIGIN_PEER.
 */
#ifndef ARTEMIS_REGISTRYD_COMMAND_H
#define ARTEMIS_REGISTRYD_COMMAND_H

#define COMMAND_SOCKET		"registry.cmd"
#define COMMAND_REGISTER	"replicate-register"
#define COMMAND_HEARTBEAT	"replicate-heartbeat"
#define COMMAND_UNREGISTER	"replicate-unregister"

struct registryd;
struct command_server;

/* NULL (logged) if the socket cannot be opened; registryd runs on without it. */
struct command_server	*command_start(struct registryd *);
void			 command_stop(struct command_server *);

#endif

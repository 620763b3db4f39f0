/* "set server" subcommands about checks (worker/cli-health.c), called by
 * the "set server" dispatcher of worker/srv-cmds.c.
 */
#pragma once
#include "cli/cli.h"
#include "worker/server-t.h"

void cli_set_server_health(struct cli_conn *c, struct srv_rt *s, char **args, int nargs);
void cli_set_server_agent(struct cli_conn *c, struct srv_rt *s, char **args, int nargs);
void cli_set_server_check_port(struct cli_conn *c, struct srv_rt *s, char **args, int nargs);
void cli_set_server_check_addr(struct cli_conn *c, struct srv_rt *s, char **args, int nargs);
void cli_set_server_agent_addr(struct cli_conn *c, struct srv_rt *s, char **args, int nargs);
void cli_set_server_agent_port(struct cli_conn *c, struct srv_rt *s, char **args, int nargs);
void cli_set_server_agent_send(struct cli_conn *c, struct srv_rt *s, char **args, int nargs);

/* "http-request use-service <name>": the request is answered by a local
 * HTTP service (worker/http-service.h), e.g. prometheus-exporter.
 */
#include <string.h>

#include "common/mem.h"
#include "conf/rules.h"
#include "worker/http-service.h"

static int parse_use_service(struct act_rule *r, char **args, int nargs, char **err)
{
	if (nargs != 1) {
		memprintf(err, "expects a service name");
		return 0;
	}
	const struct http_service *svc = http_service_find(args[0]);
	if (!svc || !strcmp(args[0], "stats")) {
		memprintf(err, "'use-service' : unknown service '%s'", args[0]);
		return 0;
	}
	r->arg = (void *)svc;
	return 1;
}

static enum act_ret exec_use_service(struct act_rule *r, struct stream *s, struct smp_ctx *ctx)
{
	http_service_answer(s, r->arg, r->px, NULL); /* may free <s> */
	return ACT_RET_DONE;
}

static const struct act_kw service_actions[] = {
    {"use-service", RS_F_HTTP_REQ, parse_use_service, exec_use_service, 1},
};

ACT_REGISTER_KEYWORDS(service_actions)

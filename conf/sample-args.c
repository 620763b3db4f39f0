/* Resolution of the names in sample arguments (frontend, backend, server,
 * userlist, table) once every configuration file is read.
 */
#include <string.h>

#include "common/msg.h"
#include "common/sample.h"
#include "conf/kw.h"
#include "conf/model-t.h"
#include "conf/proxy.h"

static const char *arg_what(enum arg_type t)
{
	switch (t) {
	case ARGT_FE:
		return "frontend";
	case ARGT_BE:
		return "backend";
	case ARGT_SRV:
		return "server";
	case ARGT_USR:
		return "userlist";
	default:
		return "table";
	}
}

static struct server *server_in(const struct proxy *px, const char *name)
{
	for (struct server *s = px ? px->servers : NULL; s; s = s->next)
		if (strcmp(s->id, name) == 0)
			return s;
	return NULL;
}

/* "[backend/]server": in the named backend, or in the current proxy. */
static void *find_server(struct config *cfg, const char *raw, const struct smp_where *w)
{
	const char *slash = strchr(raw, '/');
	if (!slash)
		return server_in(w->px, raw);
	char be[256];
	size_t n = (size_t)(slash - raw);
	if (n >= sizeof(be))
		return NULL;
	memcpy(be, raw, n);
	be[n] = 0;
	return server_in(proxy_find(cfg, be, PX_CAP_BE), slash + 1);
}

static void *find_userlist(struct config *cfg, const char *name)
{
	for (struct userlist *u = cfg->userlists; u; u = u->next)
		if (strcmp(u->name, name) == 0)
			return u;
	return NULL;
}

/* Sets a->data.ptr to the object its name designates; an empty proxy name
 * means the proxy the expression is written in.
 */
static int resolve_one(struct arg *a, const char *kw, int pos, const struct smp_where *w,
                       void *data)
{
	struct config *cfg = data;
	const char *raw = a->raw ? a->raw : "";
	void *obj = NULL;
	switch (a->type) {
	case ARGT_FE:
		obj = *raw ? proxy_find(cfg, raw, PX_CAP_FE) : w->px;
		break;
	case ARGT_BE:
		obj = *raw ? proxy_find(cfg, raw, PX_CAP_BE) : w->px;
		break;
	case ARGT_SRV:
		obj = find_server(cfg, raw, w);
		break;
	case ARGT_USR:
		obj = find_userlist(cfg, raw);
		break;
	default: /* stick tables do not exist yet */
		break;
	}
	if (obj) {
		a->data.ptr = obj;
		return 0;
	}
	ha_alert(
	    "config : parsing [%s:%d] : unable to find %s '%s' referenced in arg %d of %s '%s'.\n",
	    w->file ? w->file : "?", w->line, arg_what(a->type), raw, pos,
	    smp_find_conv(kw, strlen(kw)) && !smp_find_fetch(kw, strlen(kw))
	        ? "converter"
	        : "sample fetch keyword",
	    kw);
	return 1;
}

int cfg_resolve_sample_args(struct config *cfg)
{
	return smp_resolve_args(resolve_one, cfg);
}

static struct cfg_checker sample_args_checker = {.config = cfg_resolve_sample_args};
CFG_REGISTER_CHECKER(sample_args_checker)

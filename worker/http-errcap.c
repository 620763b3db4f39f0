/* Capture of invalid HTTP messages (see http-errcap.h). Rare events: a
 * mutex is enough.
 */
#include "worker/http-errcap.h"

#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "worker/http-txn.h"
#include "worker/runtime.h"
#include "worker/stream.h"

static pthread_mutex_t cap_lock = PTHREAD_MUTEX_INITIALIZER;
static struct http_err_snap *fe_caps, *be_caps; /* [rt.nfe], [rt.nbe] */
static unsigned next_event;

static uint64_t wall_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

/* Allocates the per-proxy slots once; lock held. */
static int caps_init(void)
{
	if (fe_caps)
		return 0;
	fe_caps = calloc((size_t)rt.nfe + 1, sizeof(*fe_caps));
	be_caps = calloc((size_t)rt.nbe + 1, sizeof(*be_caps));
	if (!fe_caps || !be_caps) {
		free(fe_caps);
		free(be_caps);
		fe_caps = be_caps = NULL;
		return -1;
	}
	return 0;
}

/* Offset of <buf> in the stream's client (or server) input buffer. */
static uint32_t buf_offset(const struct stream *s, int is_resp, const char *buf)
{
	const struct sbuf *b = !s->txn ? NULL : is_resp ? &s->txn->sin : &s->txn->cin;
	if (!b || !b->data || buf < b->data || buf > b->data + b->size)
		return 0;
	return (uint32_t)(buf - b->data);
}

void http_errcap_record(const struct stream *s, int is_resp, const char *buf, uint32_t len,
                        long pos)
{
	char *copy = malloc(len ? len : 1);
	if (!copy)
		return;
	memcpy(copy, buf, len);
	pthread_mutex_lock(&cap_lock);
	if (caps_init() < 0 || (is_resp && !s->be)) {
		pthread_mutex_unlock(&cap_lock);
		free(copy);
		return;
	}
	struct http_err_snap *e = is_resp ? &be_caps[s->be->idx] : &fe_caps[s->fe->idx];
	free(e->data);
	e->when_ms = wall_ms();
	e->event = next_event++;
	e->is_resp = is_resp;
	e->px = is_resp ? s->be->conf : s->fe->conf;
	e->other = is_resp ? s->fe->conf : (s->state != ST_HTTP_REQ && s->be ? s->be->conf : NULL);
	e->srv_id[0] = 0;
	e->srv_puid = -1;
	if (is_resp && s->acct_srv) {
		snprintf(e->srv_id, sizeof(e->srv_id), "%s", s->acct_srv->conf->id);
		e->srv_puid = s->acct_srv->conf->puid;
	}
	e->src = s->cli_addr;
	e->err_pos = pos;
	e->len = len;
	e->buf_off = buf_offset(s, is_resp, buf);
	e->data = copy;
	pthread_mutex_unlock(&cap_lock);
}

void http_errcap_foreach(void (*fn)(const struct http_err_snap *e, void *arg), void *arg)
{
	pthread_mutex_lock(&cap_lock);
	for (const struct proxy *px = rt.cfg->proxies; fe_caps && px; px = px->next) {
		for (int i = 0; i < rt.nfe; i++)
			if (rt.fes[i].conf == px && fe_caps[i].data)
				fn(&fe_caps[i], arg);
		for (int i = 0; i < rt.nbe; i++)
			if (rt.bes[i].conf == px && be_caps[i].data)
				fn(&be_caps[i], arg);
	}
	pthread_mutex_unlock(&cap_lock);
}

unsigned http_errcap_total(void)
{
	pthread_mutex_lock(&cap_lock);
	unsigned n = next_event;
	pthread_mutex_unlock(&cap_lock);
	return n;
}

void http_errcap_clear(void)
{
	pthread_mutex_lock(&cap_lock);
	for (int i = 0; fe_caps && i < rt.nfe; i++) {
		free(fe_caps[i].data);
		memset(&fe_caps[i], 0, sizeof(fe_caps[i]));
	}
	for (int i = 0; be_caps && i < rt.nbe; i++) {
		free(be_caps[i].data);
		memset(&be_caps[i], 0, sizeof(be_caps[i]));
	}
	pthread_mutex_unlock(&cap_lock);
}

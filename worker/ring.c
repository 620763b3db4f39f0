/* Rings of log lines and their TCP forwarders (see worker/ring.h). */
#include "worker/ring.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/mem.h"
#include "conf/ring.h"
#include "worker/loop.h"
#include "worker/runtime.h"

#define FWD_BUF 16384
#define FWD_RETRY_MS 1000
#define IO_EVENTS (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET)

struct ring_rt;

/* A TCP connection that sends a ring's lines to one server. */
struct ring_fwd {
	struct ring_rt *ring;
	const struct ring_srv_cfg *srv;
	int fd;
	int connected;
	struct ev_handler h;
	struct timer t;
	uint64_t pos;      /* next record to take from the ring (absolute) */
	char buf[FWD_BUF]; /* framed lines taken from the ring, not sent yet */
	size_t len, off;
	int nlines;             /* lines in buf, lost if the connection fails */
	uint64_t last_progress; /* for "timeout server" */
};

/* Records are a 4-byte length then the line, stored at absolute offsets
 * modulo the area size; [head, tail) holds the retained records.
 */
struct ring_rt {
	const struct ring_cfg *cfg;
	pthread_mutex_t lock;
	char *area;
	size_t size;
	uint64_t head, tail;
	_Atomic uint64_t dropped;
	struct ring_fwd *fwd;
	int nfwd;
	_Atomic int wake_pending;
	struct mail wake;
};

static _Atomic uint64_t fd_dropped[3];

void ring_count_fd_drop(int fd)
{
	if (fd == 1 || fd == 2)
		atomic_fetch_add(&fd_dropped[fd], 1);
}

static void put_bytes(struct ring_rt *r, uint64_t at, const void *p, size_t n)
{
	size_t o = (size_t)(at % r->size), first = n < r->size - o ? n : r->size - o;
	memcpy(r->area + o, p, first);
	memcpy(r->area, (const char *)p + first, n - first);
}

static void get_bytes(const struct ring_rt *r, uint64_t at, void *p, size_t n)
{
	size_t o = (size_t)(at % r->size), first = n < r->size - o ? n : r->size - o;
	memcpy(p, r->area + o, first);
	memcpy((char *)p + first, r->area, n - first);
}

static uint32_t record_len(const struct ring_rt *r, uint64_t at)
{
	uint32_t n;
	get_bytes(r, at, &n, sizeof(n));
	return n;
}

/* The oldest position a forwarder still needs (tail when none). */
static uint64_t min_reader(const struct ring_rt *r)
{
	uint64_t m = r->tail;
	for (int i = 0; i < r->nfwd; i++)
		if (r->fwd[i].pos < m)
			m = r->fwd[i].pos;
	return m;
}

/* Makes room for <need> bytes by forgetting old records nobody waits for.
 * Returns 0, or -1 when a forwarder still needs them. Lock held.
 */
static int make_room(struct ring_rt *r, size_t need)
{
	uint64_t keep = min_reader(r);
	while (r->tail + need - r->head > r->size) {
		if (r->head >= keep)
			return -1;
		r->head += sizeof(uint32_t) + record_len(r, r->head);
	}
	return 0;
}

static void fwd_kick(struct ring_fwd *f);

static void wake_cb(struct mail *m)
{
	struct ring_rt *r = caa_container_of(m, struct ring_rt, wake);
	atomic_store(&r->wake_pending, 0);
	for (int i = 0; i < r->nfwd; i++)
		fwd_kick(&r->fwd[i]);
}

int ring_write(const struct ring_cfg *rc, const char *hdr, size_t hlen, const char *msg,
               size_t mlen)
{
	struct ring_rt *r = rc->rt;
	size_t max = (size_t)rc->maxlen;
	if (!r)
		return -1;
	if (hlen > max)
		hlen = max;
	if (mlen > max - hlen)
		mlen = max - hlen;
	uint32_t n = (uint32_t)(hlen + mlen);
	size_t need = sizeof(n) + n;
	pthread_mutex_lock(&r->lock);
	if (need > r->size || make_room(r, need) < 0) {
		pthread_mutex_unlock(&r->lock);
		atomic_fetch_add(&r->dropped, 1);
		return -1;
	}
	put_bytes(r, r->tail, &n, sizeof(n));
	put_bytes(r, r->tail + sizeof(n), hdr, hlen);
	put_bytes(r, r->tail + sizeof(n) + hlen, msg, mlen);
	r->tail += need;
	pthread_mutex_unlock(&r->lock);
	if (r->nfwd && !atomic_exchange(&r->wake_pending, 1))
		mail_post(&rt.threads[0], &r->wake);
	return 0;
}

void rings_create(void)
{
	for (struct ring_cfg *rc = ring_cfgs; rc; rc = rc->next) {
		struct ring_rt *r = xcalloc(1, sizeof(*r));
		r->cfg = rc;
		pthread_mutex_init(&r->lock, NULL);
		r->size = rc->size;
		r->area = xcalloc(1, r->size);
		r->wake.cb = wake_cb;
		for (const struct ring_srv_cfg *s = rc->servers; s; s = s->next)
			r->nfwd++;
		r->fwd = r->nfwd ? xcalloc((size_t)r->nfwd, sizeof(*r->fwd)) : NULL;
		int i = 0;
		for (const struct ring_srv_cfg *s = rc->servers; s; s = s->next, i++) {
			r->fwd[i].ring = r;
			r->fwd[i].srv = s;
			r->fwd[i].fd = -1;
		}
		rc->rt = r;
	}
}

/* Forwarders */

static void fwd_close(struct ring_fwd *f)
{
	if (f->fd >= 0) {
		loop_del(f->fd);
		close(f->fd);
	}
	f->fd = -1;
	f->connected = 0;
	atomic_fetch_add(&f->ring->dropped, (uint64_t)f->nlines);
	f->len = f->off = 0;
	f->nlines = 0;
	timer_set(&f->t, curthr->now_ms + FWD_RETRY_MS);
}

static void fwd_connect(struct ring_fwd *f)
{
	const struct hl_addr *a = &f->srv->addr;
	int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		timer_set(&f->t, curthr->now_ms + FWD_RETRY_MS);
		return;
	}
	if (connect(fd, (const struct sockaddr *)&a->ss, a->sslen) < 0 && errno != EINPROGRESS) {
		close(fd);
		timer_set(&f->t, curthr->now_ms + FWD_RETRY_MS);
		return;
	}
	f->fd = fd;
	f->last_progress = curthr->now_ms;
	if (loop_add(fd, IO_EVENTS, &f->h) < 0) {
		close(fd);
		f->fd = -1;
		timer_set(&f->t, curthr->now_ms + FWD_RETRY_MS);
		return;
	}
	uint32_t to = f->ring->cfg->to_connect;
	timer_set(&f->t, to ? curthr->now_ms + to : 0);
}

/* Moves whole framed lines from the ring into the send buffer. */
static void fwd_fill(struct ring_fwd *f)
{
	struct ring_rt *r = f->ring;
	if (f->off == f->len)
		f->off = f->len = 0;
	pthread_mutex_lock(&r->lock);
	if (f->pos < r->head) { /* lines were forgotten before we took them */
		f->pos = r->head;
	}
	while (f->pos < r->tail) {
		uint32_t n = record_len(r, f->pos);
		char pre[16];
		int plen = f->srv->octet_count ? snprintf(pre, sizeof(pre), "%u ", n) : 0;
		size_t framed = (size_t)plen + n + (f->srv->octet_count ? 0 : 1);
		if (framed > FWD_BUF - f->len)
			break;
		memcpy(f->buf + f->len, pre, (size_t)plen);
		get_bytes(r, f->pos + sizeof(n), f->buf + f->len + plen, n);
		f->len += (size_t)plen + n;
		if (!f->srv->octet_count)
			f->buf[f->len++] = '\n';
		f->pos += sizeof(n) + n;
		f->nlines++;
	}
	pthread_mutex_unlock(&r->lock);
}

/* Sends what can be sent; takes more lines as the buffer empties. */
static void fwd_kick(struct ring_fwd *f)
{
	if (f->fd < 0 || !f->connected)
		return;
	for (;;) {
		if (f->off == f->len) {
			f->nlines = 0;
			fwd_fill(f);
			if (f->off == f->len)
				return;
		}
		ssize_t w = send(f->fd, f->buf + f->off, f->len - f->off, MSG_NOSIGNAL);
		if (w > 0) {
			f->off += (size_t)w;
			f->last_progress = curthr->now_ms;
			continue;
		}
		if (w < 0 && errno == EAGAIN) {
			uint32_t to = f->ring->cfg->to_server;
			timer_set(&f->t, to ? curthr->now_ms + to : 0);
			return;
		}
		fwd_close(f);
		return;
	}
}

static void fwd_io(struct ev_handler *h, uint32_t ev)
{
	struct ring_fwd *f = caa_container_of(h, struct ring_fwd, h);
	if (f->fd < 0)
		return;
	if (ev & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)) {
		fwd_close(f);
		return;
	}
	if (ev & EPOLLIN) { /* syslog servers say nothing: drain and watch for a close */
		char junk[512];
		ssize_t n;
		while ((n = recv(f->fd, junk, sizeof(junk), 0)) > 0)
			;
		if (n == 0 || (n < 0 && errno != EAGAIN)) {
			fwd_close(f);
			return;
		}
	}
	if ((ev & EPOLLOUT) && !f->connected) {
		int err = 0;
		socklen_t sl = sizeof(err);
		if (getsockopt(f->fd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0 || err) {
			fwd_close(f);
			return;
		}
		f->connected = 1;
		timer_set(&f->t, 0);
	}
	fwd_kick(f);
}

/* Retry after an error, connect timeout, or a server not reading. */
static void fwd_timer(struct timer *t)
{
	struct ring_fwd *f = caa_container_of(t, struct ring_fwd, t);
	if (f->fd < 0) {
		fwd_connect(f);
		return;
	}
	uint32_t to = f->connected ? f->ring->cfg->to_server : f->ring->cfg->to_connect;
	if (to && curthr->now_ms - f->last_progress >= to)
		fwd_close(f);
	else if (to)
		timer_set(&f->t, f->last_progress + to);
}

void rings_start_thread(void)
{
	if (curthr->id != 0)
		return;
	for (struct ring_cfg *rc = ring_cfgs; rc; rc = rc->next) {
		struct ring_rt *r = rc->rt;
		for (int i = 0; r && i < r->nfwd; i++) {
			r->fwd[i].h.cb = fwd_io;
			timer_init(&r->fwd[i].t, fwd_timer);
			fwd_connect(&r->fwd[i]);
		}
	}
}

/* "show events [<ring>] [-w] [-n] [-0]" */

static void list_sinks(struct cli_conn *c)
{
	cli_printf(c, "Supported events sinks are listed below. Add -w(wait), -n(new). Any key "
	              "to stop\n");
	cli_printf(c, "    %-10s : type=fd, %llu dropped, standard output (fd#1)\n", "stdout",
	           (unsigned long long)atomic_load(&fd_dropped[1]));
	cli_printf(c, "    %-10s : type=fd, %llu dropped, standard error (fd#2)\n", "stderr",
	           (unsigned long long)atomic_load(&fd_dropped[2]));
	for (const struct ring_cfg *rc = ring_cfgs; rc; rc = rc->next) {
		const struct ring_rt *r = rc->rt;
		cli_printf(c, "    %-10s : type=buffer, %llu dropped, %s\n", rc->name,
		           (unsigned long long)(r ? atomic_load(&r->dropped) : 0),
		           rc->desc ? rc->desc : rc->name);
	}
}

static void dump_ring(struct cli_conn *c, struct ring_rt *r, char delim)
{
	char *line = xcalloc(1, (size_t)r->cfg->maxlen + 1);
	pthread_mutex_lock(&r->lock);
	for (uint64_t at = r->head; at < r->tail;) {
		uint32_t n = record_len(r, at);
		get_bytes(r, at + sizeof(n), line, n);
		cli_printf(c, "%.*s%c", (int)n, line, delim);
		at += sizeof(n) + n;
	}
	pthread_mutex_unlock(&r->lock);
	free(line);
}

static void show_events(struct cli_conn *c, char **args, int nargs)
{
	if (nargs < 3) {
		list_sinks(c);
		return;
	}
	const struct ring_cfg *rc = ring_cfg_find(args[2]);
	if (!rc || !rc->rt) {
		cli_printf(c, "No such event sink\n");
		return;
	}
	int seek_end = 0;
	char delim = '\n';
	for (int i = 3; i < nargs; i++) {
		if (strchr(args[i], 'w') && args[i][0] == '-') {
			cli_printf(c,
			           "'show events %s -w' (waiting for new events) is not supported "
			           "yet\n",
			           rc->name);
			return;
		}
		if (!strcmp(args[i], "-n"))
			seek_end = 1;
		else if (!strcmp(args[i], "-0"))
			delim = 0;
		else {
			cli_printf(c, "unknown option '%s' (expects -n or -0)\n", args[i]);
			return;
		}
	}
	if (!seek_end)
		dump_ring(c, rc->rt, delim);
}

static const struct cli_cmd ring_cmds[] = {
    {{"show", "events"},
     "show events [<sink>] [-n] [-0]",
     "show event sink state",
     CLI_LEVEL_USER,
     show_events},
};
CLI_REGISTER(ring_cmds)

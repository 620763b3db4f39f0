#include "worker/listener.h"
#include "conf/ssl-bind.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/msg.h"
#include "conf/kw.h"
#include "worker/inherit.h"
#include "worker/stream.h"

/* Applies the socket options of <b> before bind(). */
static void set_bind_opts(int fd, const struct bind_conf *b, int family)
{
	int one = 1, zero = 0;
	if (family == AF_UNIX)
		return;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (!rt.cfg->global.noreuseport)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (family == AF_INET6) {
		if (b->v6only)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		else if (b->v4v6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	}
	if (b->transparent) {
		if (setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof(one)) < 0)
			ha_warning("Proxy '%s': cannot enable 'transparent' on '%s:%d': %s.\n",
				   b->px->id, b->file, b->line, strerror(errno));
	}
	if (b->defer_accept)
		setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &one, sizeof(one));
	if (b->tfo) {
		int qlen = 64;
		setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN, &qlen, sizeof(qlen));
	}
	if (b->mss)
		setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &b->mss, sizeof(b->mss));
	if (b->interface)
		setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, b->interface,
			   (socklen_t)strlen(b->interface));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* Sets ownership and permissions of a unix socket path after bind(). */
static int set_unix_perms(const struct bind_conf *b, const char *path)
{
	if (b->ux_mode >= 0 && chmod(path, (mode_t)b->ux_mode) < 0)
		return -1;
	if ((b->ux_uid_set || b->ux_gid_set) &&
	    chown(path, b->ux_uid_set ? b->ux_uid : (uid_t)-1,
		  b->ux_gid_set ? b->ux_gid : (gid_t)-1) < 0)
		return -1;
	return 0;
}

/* Opens and binds the socket of <b>; returns the fd or -1 (alerted). */
static int bind_one(const struct bind_conf *b, int backlog)
{
	const struct hl_addr *a = &b->addr;
	char abuf[160];
	int fd;

	addr_to_str(a, abuf, sizeof(abuf));
	fd = inherit_take(abuf);
	if (fd >= 0) {
		/* kept open by the master across a reload: already listening */
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		listen(fd, backlog);
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		return fd;
	}
	if (a->kind == ADDR_FD) {
		fd = a->fd;
		if (fcntl(fd, F_GETFD) < 0) {
			ha_alert("Proxy '%s': inherited socket '%s' is not open.\n", b->px->id, abuf);
			return -1;
		}
	} else {
		fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			ha_alert("Proxy '%s': cannot create a socket for '%s': %s.\n", b->px->id,
				 abuf, strerror(errno));
			return -1;
		}
		set_bind_opts(fd, b, a->ss.ss_family);
		if (a->kind == ADDR_UNIX)
			unlink(((const struct sockaddr_un *)&a->ss)->sun_path);
		if (bind(fd, (const struct sockaddr *)&a->ss, a->sslen) < 0) {
			ha_alert("Starting proxy %s: cannot bind socket (%s) [%s]\n", b->px->id,
				 strerror(errno), abuf);
			close(fd);
			return -1;
		}
		if (a->kind == ADDR_UNIX &&
		    set_unix_perms(b, ((const struct sockaddr_un *)&a->ss)->sun_path) < 0) {
			ha_alert("Proxy '%s': cannot set permissions of '%s': %s.\n", b->px->id,
				 abuf, strerror(errno));
			close(fd);
			return -1;
		}
	}
	if (listen(fd, backlog) < 0) {
		ha_alert("Starting proxy %s: cannot listen to socket (%s) [%s]\n", b->px->id,
			 strerror(errno), abuf);
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

/* Takes one slot of <counter> below <limit> (0 = unlimited); 0 if full. */
static int take_slot(_Atomic int *counter, int limit)
{
	if (!limit) {
		atomic_fetch_add(counter, 1);
		return 1;
	}
	if (atomic_fetch_add(counter, 1) < limit)
		return 1;
	atomic_fetch_sub(counter, 1);
	return 0;
}

/* Reserves a connection slot globally, on the frontend and on the listener,
 * before accepting, so that concurrent threads never exceed a maxconn.
 * Returns 1 when reserved; the stream releases the slots when it ends.
 */
static int reserve_slots(struct listener *l)
{
	if (atomic_load(&rt.stopping))
		return 0;
	if (!take_slot(&rt.cur_conns, rt.maxconn))
		return 0;
	if (!take_slot(&l->fe->cur_conns, l->fe->maxconn)) {
		atomic_fetch_sub(&rt.cur_conns, 1);
		return 0;
	}
	if (!take_slot(&l->cur_conns, l->maxconn)) {
		atomic_fetch_sub(&l->fe->cur_conns, 1);
		atomic_fetch_sub(&rt.cur_conns, 1);
		return 0;
	}
	return 1;
}

static void release_slots(struct listener *l)
{
	atomic_fetch_sub(&l->cur_conns, 1);
	atomic_fetch_sub(&l->fe->cur_conns, 1);
	atomic_fetch_sub(&rt.cur_conns, 1);
}

/* Whether a slot is free right now (no reservation). */
static int under_limits(const struct listener *l)
{
	if (atomic_load(&rt.stopping) || atomic_load(&l->fe->paused))
		return 0;
	if (rt.maxconn && atomic_load(&rt.cur_conns) >= rt.maxconn)
		return 0;
	if (l->fe->maxconn && atomic_load(&l->fe->cur_conns) >= l->fe->maxconn)
		return 0;
	if (l->maxconn && atomic_load(&l->cur_conns) >= l->maxconn)
		return 0;
	return 1;
}

static void listener_poll(struct listener *l, int on)
{
	int tid = curthr->id;
	if (on && !l->polled[tid]) {
		if (loop_add(l->fd, EPOLLIN | EPOLLEXCLUSIVE, &l->h) == 0)
			l->polled[tid] = 1;
	} else if (!on && l->polled[tid]) {
		loop_del(l->fd);
		l->polled[tid] = 0;
	}
}

/* Whether a rate limit keeps <l> from accepting now: the process's
 * connection or session rate, or its frontend's session rate.
 */
static int rate_limited(const struct listener *l)
{
	uint64_t now = curthr->now_ms;
	uint32_t lim;
	if (l->is_cli)
		return 0;
	if ((lim = atomic_load(&rt.conn_rate_lim)) && freq_ctr_read(&rt.conn_per_sec, now) >= lim)
		return 1;
	if ((lim = atomic_load(&rt.sess_rate_lim)) && freq_ctr_read(&rt.sess_per_sec, now) >= lim)
		return 1;
	lim = l->fe->sess_rate_lim;
	return lim && freq_ctr_read(&l->fe->sess_per_sec, now) >= lim;
}

#define RATE_RETRY_MS 20 /* how soon a listener held by a rate limit tries again */

static __thread struct timer rate_timer;

static void rate_timer_cb(struct timer *t)
{
	(void)t;
	listeners_enable_thread();
}

/* Stops polling <l> on this thread until the rates allow accepting again. */
static void pause_for_rate(struct listener *l)
{
	listener_poll(l, 0);
	if (!rate_timer.cb)
		timer_init(&rate_timer, rate_timer_cb);
	if (rate_timer.heap_idx < 0)
		timer_set(&rate_timer, curthr->now_ms + RATE_RETRY_MS);
}

/* Stops polling <l> on this thread because a limit is reached. The paused
 * flag is published before the limits are checked again, so that a slot
 * freed meanwhile is either seen here or triggers a resume (no lost wake-up).
 */
static void pause_listener(struct listener *l)
{
	listener_poll(l, 0);
	atomic_store(&rt.paused, 1);
	if (under_limits(l))
		listener_poll(l, 1);
}

/* Counts an accepted connection in the rates of the process and frontend. */
static void count_connection(struct listener *l)
{
	uint64_t now = curthr->now_ms;
	freq_ctr_update_max(&rt.conn_rate_max, freq_ctr_add(&rt.conn_per_sec, now, 1));
	freq_ctr_update_max(&l->fe->conn_rate_max, freq_ctr_add(&l->fe->conn_per_sec, now, 1));
}

/* Accepts a batch of connections (tune.maxaccept) on the current thread. */
static void listener_cb(struct ev_handler *h, uint32_t ev)
{
	struct listener *l = caa_container_of(h, struct listener, h);
	int batch = rt.cfg->global.tune_maxaccept > 0 ? rt.cfg->global.tune_maxaccept : 64;

	if (atomic_load(&l->fe->paused)) {
		listener_poll(l, 0); /* "disable frontend" came after this event */
		return;
	}
	for (int i = 0; i < batch; i++) {
		if (rate_limited(l)) {
			pause_for_rate(l);
			return;
		}
		if (!reserve_slots(l)) {
			if (!atomic_load(&rt.stopping))
				pause_listener(l);
			return;
		}
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(l->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			int err = errno;
			release_slots(l);
			if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM)
				pause_listener(l); /* resources exhausted: retry when one ends */
			return;
		}
		if (sl == 0 || ss.ss_family == AF_UNSPEC)
			ss.ss_family = AF_UNIX;
		atomic_fetch_add(&rt.cum_conns, 1);
		atomic_fetch_add(&l->fe->cum_conns, 1);
		count_connection(l);
		LOOP_ACT_ADD(accepted, 1);
		stream_accept(l, fd, &ss);
	}
}

int listeners_bind_all(void)
{
	int n = 0;
	for (struct proxy *px = rt.cfg->proxies; px; px = px->next)
		if (!px->disabled && (px->cap & PX_CAP_FE))
			for (struct bind_conf *b = px->binds; b; b = b->next)
				n++;
	rt.lsts = calloc((size_t)n + 1, sizeof(*rt.lsts));
	rt.nlst = 0;
	for (int f = 0; f < rt.nfe; f++) {
		struct fe_rt *fe = &rt.fes[f];
		for (struct bind_conf *b = fe->conf->binds; b; b = b->next) {
			struct listener *l = &rt.lsts[rt.nlst];
			int backlog = b->backlog ? b->backlog : (fe->maxconn ? fe->maxconn : 1024);
			l->fd = bind_one(b, backlog);
			if (l->fd < 0)
				return -1;
			l->bind = b;
			l->tls = b->tls && b->tls->ssl ? b->tls->ctx : NULL;
			l->backlog = backlog;
			l->fe = fe;
			l->maxconn = b->maxconn;
			l->h.cb = listener_cb;
			rt.nlst++;
		}
	}
	return 0;
}

void listeners_enable_thread(void)
{
	for (int i = 0; i < rt.nlst; i++) {
		if (atomic_load(&rt.stopping))
			return;
		if (atomic_load(&rt.lsts[i].fe->paused))
			listener_poll(&rt.lsts[i], 0); /* until "enable frontend" */
		else if (rate_limited(&rt.lsts[i]))
			pause_for_rate(&rt.lsts[i]);
		else if (under_limits(&rt.lsts[i]))
			listener_poll(&rt.lsts[i], 1);
		else
			pause_listener(&rt.lsts[i]); /* still full: ask to be woken again */
	}
}

void listeners_disable_thread(void)
{
	for (int i = 0; i < rt.nlst; i++)
		listener_poll(&rt.lsts[i], 0);
}

/* Mail run on each thread to re-enable its paused listeners. */
static void resume_cb(struct mail *m)
{
	(void)m;
	listeners_enable_thread();
}

static struct mail resume_mails[MAX_THREADS];
static _Atomic int resume_pending[MAX_THREADS];

static void resume_mail_cb(struct mail *m)
{
	int tid = (int)(m - resume_mails);
	atomic_store(&resume_pending[tid], 0);
	resume_cb(m);
}

void listeners_resume_all(void)
{
	atomic_store(&rt.paused, 0);
	for (int t = 0; t < rt.nbthread; t++) {
		if (atomic_exchange(&resume_pending[t], 1))
			continue;
		resume_mails[t].cb = resume_mail_cb;
		mail_post(&rt.threads[t], &resume_mails[t]);
	}
}

int listeners_export(char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = 0;
	for (int i = 0; i < rt.nlst; i++) {
		char abuf[160];
		int fd = rt.lsts[i].fd;
		if (fd < 0 || rt.lsts[i].bind->addr.kind == ADDR_FD)
			continue;
		addr_to_str(&rt.lsts[i].bind->addr, abuf, sizeof(abuf));
		int n = snprintf(buf + off, len - off, "%s%d=%s", off ? ";" : "", fd, abuf);
		if (n < 0 || (size_t)n >= len - off)
			return -1;
		off += (size_t)n;
		fcntl(fd, F_SETFD, 0); /* survive the master's exec */
	}
	return 0;
}

int listeners_set_listening(int on)
{
	int ret = 0;
	for (int i = 0; i < rt.nlst; i++) {
		struct listener *l = &rt.lsts[i];
		if (l->fd < 0)
			continue;
		if (!on)
			shutdown(l->fd, SHUT_RD);
		else if (listen(l->fd, l->backlog) < 0)
			ret = -1;
	}
	return ret;
}

void listeners_set_frontend_listening(const struct fe_rt *fe, int on)
{
	for (int i = 0; i < rt.nlst; i++) {
		struct listener *l = &rt.lsts[i];
		if (l->fd < 0 || l->fe != fe)
			continue;
		if (!on)
			shutdown(l->fd, SHUT_RD);
		else
			listen(l->fd, l->backlog);
	}
}

void listeners_close_all(void)
{
	for (int i = 0; i < rt.nlst; i++) {
		if (rt.lsts[i].fd >= 0 && rt.lsts[i].bind->addr.kind != ADDR_FD)
			close(rt.lsts[i].fd);
		rt.lsts[i].fd = -1;
	}
}

/* Benchmark HTTP client at a fixed request rate, for latency: wrk measures
 * how fast a proxy can go, this one how long a request takes when the proxy
 * is not saturated.  Single-threaded, epoll, HTTP/1.1 keep-alive.
 *
 *   httprate -c ADDR:PORT -R RATE [-d SECONDS] [-k CONNS] [-t SECONDS]
 *
 *   -R RATE     requests per second over all connections (required)
 *   -d SECONDS  measuring duration (default 10)
 *   -k CONNS    connections (default 64); at most one request in flight on
 *               each, no pipelining
 *   -t SECONDS  a request unanswered this long counts as a timeout and its
 *               connection is replaced (default 10)
 *
 * Open loop: request n of connection j is due at start + (n*CONNS + j)/RATE,
 * whatever happened to the ones before.  A request that cannot leave on
 * time (its connection still waits for the previous response) leaves as
 * soon as it can, and its latency still counts from when it was due, so a
 * stall shows in the percentiles instead of silently lowering the rate
 * ("coordinated omission").  The connections are opened before the clock
 * starts.  A response must carry Content-Length; one with "Connection:
 * close" makes the client open a new connection for the next request.
 *
 * Output: one line on stdout,
 *   httprate: seconds= target= rate= requests= non_2xx= connect= read=
 *             timeout= late= p50_us= p90_us= p99_us= p999_us= max_us=
 * rate is the responses per second achieved; late counts requests sent more
 * than 1 ms after they were due; latencies are in microseconds, from when
 * the request was due until its response was complete, within 1.6 %.
 * Exit status is 0 whenever the measurement ran, even with errors counted;
 * 2 on bad usage.
 *
 * Built by tests/bench/run.sh with `cc -O2` into build/bench/httprate.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HEAD_MAX 16384 /* largest response head accepted */
#define LATE 0.001     /* a request sent later than this after its due time is late */

struct conn {
	int fd;            /* -1 while closed */
	uint32_t gen;      /* bumped at every new connection */
	int connecting;    /* connect() not completed yet */
	int busy;          /* a request is in flight */
	uint64_t seq;      /* index of the request in flight or next due */
	double sent;       /* when the request in flight left */
	char head[HEAD_MAX];
	size_t head_len;   /* bytes of the response head received so far */
	int64_t body_left; /* -1 while the head is incomplete */
	int close_after;   /* the response says Connection: close */
	double retry_at;   /* a failed connect is retried from then on */
};

static struct sockaddr_in dst;
static char request[256];
static size_t request_len;
static double rate, duration = 10, req_timeout = 10, t_start;
static int nconns = 64, epfd;
static struct conn *conns;
static char sink[65536];

static uint64_t st_requests, st_non2xx, st_connect, st_read, st_timeout, st_late;

/* ------------------------------------------------------------ histogram */

/* Latencies in microseconds: exact below 128, then 64 buckets per power of
 * two up to 2^40 us.
 */
#define SUB 64
#define EXACT 128
#define NBUCKETS (EXACT + (40 - 7) * SUB)
static uint64_t hist[NBUCKETS], hist_total, hist_max;

static void hist_add(uint64_t us)
{
	unsigned idx;
	if (us < EXACT) {
		idx = (unsigned)us;
	} else {
		int e = 63 - __builtin_clzll(us); /* 2^e <= us < 2^(e+1), e >= 7 */
		if (e >= 40)
			e = 39, us = (1ULL << 40) - 1;
		idx = EXACT + (unsigned)(e - 7) * SUB + (unsigned)((us >> (e - 6)) - SUB);
	}
	hist[idx]++;
	hist_total++;
	if (us > hist_max)
		hist_max = us;
}

/* The middle of bucket <idx>, in microseconds. */
static double hist_value(unsigned idx)
{
	if (idx < EXACT)
		return idx;
	unsigned e = 7 + (idx - EXACT) / SUB, sub = (idx - EXACT) % SUB;
	double width = (double)(1ULL << (e - 6));
	return (SUB + sub) * width + width / 2;
}

/* The <p>th percentile (0 < p <= 100), 0 when nothing was recorded. */
static double hist_percentile(double p)
{
	uint64_t want = (uint64_t)(p / 100 * (double)hist_total + 0.999999), seen = 0;
	for (unsigned i = 0; i < NBUCKETS; i++) {
		seen += hist[i];
		if (seen >= want && seen)
			return hist_value(i);
	}
	return 0;
}

/* ------------------------------------------------------------ connections */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "httprate: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* When the <seq>th request of connection <j> is due. */
static double due(int j, uint64_t seq)
{
	return t_start + ((double)seq * nconns + j) / rate;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->busy = 0;
	c->connecting = 0;
}

/* Opens a new connection for <c> (index <j>); a failure is counted and
 * retried 100 ms later.
 */
static void conn_open(struct conn *c, int j)
{
	c->gen++;
	c->head_len = 0;
	c->body_left = -1;
	c->close_after = 0;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		goto fail;
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&dst, sizeof(dst)) < 0 && errno != EINPROGRESS)
		goto fail;
	c->connecting = 1;
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT,
				 .data.u64 = ((uint64_t)c->gen << 32) | (uint32_t)j};
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
		die("epoll_ctl(ADD)");
	return;
fail:
	st_connect++;
	conn_close(c);
	c->retry_at = now() + 0.1;
}

/* Stops asking for EPOLLOUT once <c> is connected. */
static void conn_connected(struct conn *c, int j)
{
	struct epoll_event ev = {.events = EPOLLIN,
				 .data.u64 = ((uint64_t)c->gen << 32) | (uint32_t)j};
	c->connecting = 0;
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
		die("epoll_ctl(MOD)");
}

/* Sends the request of <c> if it is due at <t>.  The request is small and
 * the connection idle: it fits in the socket buffer in one send().
 */
static void conn_send(struct conn *c, int j, double t)
{
	if (c->busy || c->fd < 0 || c->connecting || due(j, c->seq) > t)
		return;
	ssize_t n = send(c->fd, request, request_len, MSG_NOSIGNAL);
	if (n != (ssize_t)request_len) {
		st_read++;
		conn_close(c);
		return;
	}
	if (t - due(j, c->seq) > LATE)
		st_late++;
	c->busy = 1;
	c->sent = t;
	c->head_len = 0;
	c->body_left = -1;
}

/* Parses the complete head of c->head (<len> bytes): status, Content-Length
 * and Connection: close.  Returns 0, or -1 when it has no Content-Length.
 */
static int parse_head(struct conn *c, size_t len)
{
	int64_t clen = -1;
	if (len < 12 || memcmp(c->head, "HTTP/1.", 7))
		return -1;
	if (c->head[9] != '2')
		st_non2xx++;
	for (char *line = memchr(c->head, '\n', len); line && line < c->head + len;) {
		line++;
		char *eol = memchr(line, '\n', (size_t)(c->head + len - line));
		if (!eol)
			break;
		if (!strncasecmp(line, "content-length:", 15))
			clen = strtoll(line + 15, NULL, 10);
		else if (!strncasecmp(line, "connection:", 11) &&
			 memmem(line, (size_t)(eol - line), "close", 5))
			c->close_after = 1;
		line = eol;
	}
	if (clen < 0)
		return -1;
	c->body_left = clen;
	return 0;
}

/* The response of <c> is complete at <t>: records it and readies the
 * connection for the next request.
 */
static void conn_done(struct conn *c, int j, double t)
{
	hist_add((uint64_t)((t - due(j, c->seq)) * 1e6));
	st_requests++;
	c->busy = 0;
	c->seq++;
	if (c->close_after) {
		conn_close(c);
		conn_open(c, j);
	}
}

/* Takes what arrived on <c>: the rest of a head, then body bytes.  Returns
 * -1 when the connection failed or was closed (closed, and counted as a
 * read error if a request was in flight), else 0.
 */
static int conn_read(struct conn *c, int j)
{
	for (;;) {
		char *into = c->body_left < 0 ? c->head + c->head_len : sink;
		size_t room = c->body_left < 0 ? HEAD_MAX - c->head_len : sizeof(sink);
		if (c->body_left >= 0 && (uint64_t)c->body_left < room)
			room = (size_t)c->body_left; /* never read past this response */
		if (!room)
			goto fail; /* a head larger than HEAD_MAX */
		ssize_t n = recv(c->fd, into, room, 0);
		if (n == 0)
			goto fail; /* EOF */
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			goto fail;
		}
		if (c->body_left < 0) {
			c->head_len += (size_t)n;
			char *end = memmem(c->head, c->head_len, "\r\n\r\n", 4);
			if (!end)
				continue;
			size_t hl = (size_t)(end + 4 - c->head);
			if (!c->busy || parse_head(c, hl) < 0)
				goto fail;
			size_t extra = c->head_len - hl; /* body bytes read with the head */
			if ((uint64_t)c->body_left < extra)
				goto fail; /* more than one response: none was asked for */
			c->body_left -= (int64_t)extra;
		} else {
			c->body_left -= n;
		}
		if (c->body_left == 0) {
			conn_done(c, j, now());
			return 0;
		}
	}
fail:
	if (c->busy)
		st_read++; /* an idle connection may be closed by the peer */
	conn_close(c);
	return -1;
}

/* ------------------------------------------------------------ main loop */

/* How long to wait from <t> for the earliest due request of an idle
 * connection, or for <end> if none is earlier.
 */
static struct timespec next_wait(double t, double end)
{
	double next = end;
	for (int j = 0; j < nconns; j++) {
		struct conn *c = &conns[j];
		double d = c->fd < 0 ? c->retry_at : due(j, c->seq);
		if (!c->busy && !c->connecting && d < next)
			next = d;
	}
	double wait = next > t ? next - t : 0;
	return (struct timespec){.tv_sec = (time_t)wait,
				 .tv_nsec = (long)((wait - (double)(time_t)wait) * 1e9)};
}

/* Opens every connection and waits up to 5 s for them to be established. */
static void open_all(void)
{
	for (int j = 0; j < nconns; j++)
		conn_open(&conns[j], j);
	struct epoll_event evs[256];
	double limit = now() + 5;
	for (int pending = 1; pending && now() < limit;) {
		int n = epoll_wait(epfd, evs, 256, 100);
		for (int i = 0; i < n; i++) {
			int j = (int)(uint32_t)evs[i].data.u64;
			struct conn *c = &conns[j];
			if (!c->connecting)
				continue;
			if (evs[i].events & (EPOLLERR | EPOLLHUP)) {
				st_connect++;
				conn_close(c); /* retried by tick() */
			} else {
				conn_connected(c, j);
			}
		}
		pending = 0;
		for (int j = 0; j < nconns; j++)
			pending |= conns[j].connecting;
	}
}

/* Handles the event <ev> of connection <j>. */
static void on_event(int j, uint32_t ev)
{
	struct conn *c = &conns[j];
	if (c->connecting) {
		if (ev & (EPOLLERR | EPOLLHUP)) {
			st_connect++;
			conn_close(c);
			c->retry_at = now() + 0.1;
			return;
		}
		conn_connected(c, j);
		conn_send(c, j, now());
		return;
	}
	if (conn_read(c, j) == 0)
		conn_send(c, j, now()); /* a late request leaves at once */
}

/* Retries failed connections, replaces timed-out ones and sends what is
 * due at <t>.
 */
static void tick(double t)
{
	for (int j = 0; j < nconns; j++) {
		struct conn *c = &conns[j];
		if (c->fd < 0 && t >= c->retry_at)
			conn_open(c, j);
		if (c->busy && t - c->sent > req_timeout) {
			st_timeout++;
			c->seq++;
			conn_close(c);
			conn_open(c, j);
		}
		conn_send(c, j, t);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: httprate -c ADDR:PORT -R RATE [-d SECONDS] [-k CONNS] "
			"[-t SECONDS]\n");
	exit(2);
}

/* Sets dst from "ADDR:PORT" and builds the request; 0, or -1 if invalid. */
static int set_target(const char *target)
{
	char host[64];
	const char *colon = strrchr(target, ':');
	if (!colon || (size_t)(colon - target) >= sizeof(host))
		return -1;
	memcpy(host, target, (size_t)(colon - target));
	host[colon - target] = 0;
	dst.sin_family = AF_INET;
	dst.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &dst.sin_addr) != 1)
		return -1;
	request_len = (size_t)snprintf(request, sizeof(request),
				       "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", target);
	return 0;
}

int main(int argc, char **argv)
{
	const char *target = NULL;
	int opt;
	while ((opt = getopt(argc, argv, "c:R:d:k:t:")) != -1) {
		switch (opt) {
		case 'c': target = optarg; break;
		case 'R': rate = atof(optarg); break;
		case 'd': duration = atof(optarg); break;
		case 'k': nconns = atoi(optarg); break;
		case 't': req_timeout = atof(optarg); break;
		default: usage();
		}
	}
	if (!target || rate <= 0 || duration <= 0 || nconns < 1 || req_timeout <= 0 ||
	    set_target(target) < 0)
		usage();

	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_TIMERSLACK, 1UL); /* wake up when due, not up to 50 us later */
	epfd = epoll_create1(EPOLL_CLOEXEC);
	conns = calloc((size_t)nconns, sizeof(*conns));
	if (epfd < 0 || !conns)
		die("setup");
	for (int j = 0; j < nconns; j++)
		conns[j].fd = -1;

	open_all();
	t_start = now();
	double end = t_start + duration;
	struct epoll_event evs[256];
	for (double t = t_start; t < end; t = now()) {
		tick(t);
		struct timespec wait = next_wait(t, end);
		int n = epoll_pwait2(epfd, evs, 256, &wait, NULL);
		if (n < 0 && errno != EINTR)
			die("epoll_pwait2");
		for (int i = 0; i < n; i++) {
			uint64_t d = evs[i].data.u64;
			struct conn *c = &conns[(uint32_t)d];
			if (c->fd >= 0 && c->gen == (uint32_t)(d >> 32))
				on_event((int)(uint32_t)d, evs[i].events);
		}
	}
	double secs = now() - t_start;
	printf("httprate: seconds=%.3f target=%.1f rate=%.1f requests=%llu non_2xx=%llu "
	       "connect=%llu read=%llu timeout=%llu late=%llu p50_us=%.0f p90_us=%.0f "
	       "p99_us=%.0f p999_us=%.0f max_us=%llu\n",
	       secs, rate, (double)st_requests / secs, (unsigned long long)st_requests,
	       (unsigned long long)st_non2xx, (unsigned long long)st_connect,
	       (unsigned long long)st_read, (unsigned long long)st_timeout,
	       (unsigned long long)st_late, hist_percentile(50), hist_percentile(90),
	       hist_percentile(99), hist_percentile(99.9), (unsigned long long)hist_max);
	return 0;
}

/* Benchmark origin: a single-threaded epoll TCP server that sits behind the
 * proxy under test.  It must cost as little as possible per byte and per
 * connection so that the proxy, not the origin, is what the numbers describe.
 *
 *   origin -p PORT [-a ADDR] -m source|sink|rr [-n BYTES] [-q REQ] [-r REPLY]
 *
 *   source  per connection, writes BYTES (-n) from a static buffer, then
 *           closes (anything the peer sends is read and discarded)
 *   sink    per connection, reads and discards until EOF, then closes
 *   rr      request/response: for every REQ bytes received (-q, default 64)
 *           sends REPLY bytes (-r, default 64); closes after the peer's EOF
 *
 * Prints one "origin: listening ..." line on stdout once it accepts
 * connections.  On SIGTERM/SIGINT prints a summary line on stderr
 * (connections, bytes, resets by the peer, unanswered requests, other errors)
 * and exits 0.
 *
 * Built by tests/bench/run.sh with `cc -O2` into build/bench/origin.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

enum mode { M_SOURCE, M_SINK, M_RR };

struct conn {
	int fd;
	uint64_t left;   /* source: bytes still to write */
	uint64_t acc;    /* rr: request bytes not yet answered */
	uint64_t owe;    /* rr: reply bytes still to write */
	int want_out;    /* EPOLLOUT currently requested */
	int rd_eof;      /* source: the peer's EOF was seen */
	int events_stale; /* the epoll interest must be rewritten */
};

#define BUF_SIZE (1024 * 1024)
static char obuf[BUF_SIZE]; /* what we send */
static char ibuf[BUF_SIZE]; /* where received bytes go */

static enum mode mode;
static uint64_t nbytes = 1ULL << 30;
static uint64_t req_size = 64, rep_size = 64;
static int epfd;
static volatile sig_atomic_t stop;

/* errors: resets (ECONNRESET/EPIPE from the peer), unanswered (rr: EOF
 * before every reply could be sent; source: never), other (anything else)
 */
static uint64_t st_conns, st_in, st_out, st_reset, st_unanswered, st_err;

static void count_error(int err)
{
	if (err == ECONNRESET || err == EPIPE)
		st_reset++;
	else
		st_err++;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "origin: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void conn_close(struct conn *c)
{
	close(c->fd); /* also removes it from the epoll set */
	free(c);
}

/* Updates the epoll interest of <c>: reading unless the peer's EOF was seen,
 * writing while <out>.
 */
static void set_out(struct conn *c, int out)
{
	if (c->want_out == out && !c->events_stale)
		return;
	struct epoll_event ev = {.events = (c->rd_eof ? 0 : EPOLLIN) | (out ? EPOLLOUT : 0),
				 .data.ptr = c};
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
		die("epoll_ctl(MOD)");
	c->want_out = out;
	c->events_stale = 0;
}

/* Writes up to <len> bytes; returns bytes written, or -1 on a fatal error
 * (EAGAIN is not fatal: fewer bytes are returned).
 */
static int64_t write_some(struct conn *c, uint64_t len)
{
	uint64_t done = 0;
	while (done < len) {
		size_t chunk = len - done > BUF_SIZE ? BUF_SIZE : (size_t)(len - done);
		ssize_t n = send(c->fd, obuf, chunk, MSG_NOSIGNAL);
		if (n > 0) {
			done += (uint64_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		return -1;
	}
	st_out += done;
	return (int64_t)done;
}

/* Reads everything available. Returns 1 at EOF, 0 when drained, -1 on error.
 * <got> receives the byte count.
 */
static int read_some(struct conn *c, uint64_t *got)
{
	*got = 0;
	for (;;) {
		ssize_t n = recv(c->fd, ibuf, sizeof(ibuf), 0);
		if (n > 0) {
			*got += (uint64_t)n;
			st_in += (uint64_t)n;
			if ((size_t)n < sizeof(ibuf) && mode != M_SINK)
				return 0; /* likely drained; level-triggered epoll retries */
			continue;
		}
		if (n == 0)
			return 1;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			return 0;
		return -1;
	}
}

static void handle_source(struct conn *c, uint32_t ev)
{
	uint64_t got;
	if (!c->rd_eof && (ev & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
		int r = read_some(c, &got);
		if (r < 0) {
			count_error(errno);
			conn_close(c);
			return;
		}
		if (r > 0) {
			/* the peer half-closed: keep sending, stop polling for input */
			c->rd_eof = 1;
			c->events_stale = 1;
		}
	}
	if (c->left) {
		int64_t n = write_some(c, c->left);
		if (n < 0) {
			count_error(errno);
			conn_close(c);
			return;
		}
		c->left -= (uint64_t)n;
	}
	if (!c->left) {
		conn_close(c); /* data is queued; close() sends it, then the FIN */
		return;
	}
	set_out(c, 1);
}

static void handle_sink(struct conn *c, uint32_t ev)
{
	uint64_t got;
	(void)ev;
	int r = read_some(c, &got);
	if (r != 0) {
		if (r < 0)
			count_error(errno);
		conn_close(c);
	}
}

static void handle_rr(struct conn *c, uint32_t ev)
{
	uint64_t got;
	int eof = 0;
	if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		int r = read_some(c, &got);
		if (r < 0) {
			count_error(errno);
			conn_close(c);
			return;
		}
		eof = r;
		c->acc += got;
		c->owe += (c->acc / req_size) * rep_size;
		c->acc %= req_size;
	}
	if (c->owe) {
		int64_t n = write_some(c, c->owe);
		if (n < 0) {
			count_error(errno);
			conn_close(c);
			return;
		}
		c->owe -= (uint64_t)n;
	}
	if (eof) {
		/* a peer that half-closed still gets what it is owed if it fits now */
		if (c->owe)
			st_unanswered++;
		conn_close(c);
		return;
	}
	set_out(c, c->owe != 0);
}

static void do_accept(int lfd)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EAGAIN)
				return;
			if (errno == EMFILE || errno == ENFILE) {
				st_err++;
				return;
			}
			die("accept4");
		}
		st_conns++;
		if (mode == M_RR) {
			int one = 1;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		}
		struct conn *c = calloc(1, sizeof(*c));
		if (!c)
			die("calloc");
		c->fd = fd;
		c->left = mode == M_SOURCE ? nbytes : 0;
		c->want_out = mode == M_SOURCE;
		struct epoll_event ev = {.events = EPOLLIN | (c->want_out ? EPOLLOUT : 0),
					 .data.ptr = c};
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
			die("epoll_ctl(ADD)");
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: origin -p PORT [-a ADDR] -m source|sink|rr [-n BYTES] "
			"[-q REQ] [-r REPLY]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *addr = "127.0.0.1";
	int port = 0, opt;
	const char *mstr = NULL;

	while ((opt = getopt(argc, argv, "a:p:m:n:q:r:")) != -1) {
		switch (opt) {
		case 'a': addr = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'm': mstr = optarg; break;
		case 'n': nbytes = strtoull(optarg, NULL, 0); break;
		case 'q': req_size = strtoull(optarg, NULL, 0); break;
		case 'r': rep_size = strtoull(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (!mstr || port <= 0 || port > 65535 || !req_size)
		usage();
	if (!strcmp(mstr, "source"))
		mode = M_SOURCE;
	else if (!strcmp(mstr, "sink"))
		mode = M_SINK;
	else if (!strcmp(mstr, "rr"))
		mode = M_RR;
	else
		usage();

	for (size_t i = 0; i < sizeof(obuf); i++)
		obuf[i] = (char)('a' + i % 26);

	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		fprintf(stderr, "origin: bad address '%s'\n", addr);
		return 2;
	}
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		die("socket");
	int one = 1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		die("bind");
	if (listen(lfd, 4096) < 0)
		die("listen");

	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		die("epoll_create1");
	struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &lev) < 0)
		die("epoll_ctl(listener)");

	printf("origin: listening on %s:%d mode=%s\n", addr, port, mstr);
	fflush(stdout);

	struct epoll_event evs[256];
	while (!stop) {
		int n = epoll_wait(epfd, evs, 256, 500);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait");
		}
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			if (!c) {
				do_accept(lfd);
				continue;
			}
			switch (mode) {
			case M_SOURCE: handle_source(c, evs[i].events); break;
			case M_SINK: handle_sink(c, evs[i].events); break;
			case M_RR: handle_rr(c, evs[i].events); break;
			}
		}
	}
	fprintf(stderr,
		"origin: conns=%llu bytes_in=%llu bytes_out=%llu resets=%llu unanswered=%llu "
		"errors=%llu\n",
		(unsigned long long)st_conns, (unsigned long long)st_in,
		(unsigned long long)st_out, (unsigned long long)st_reset,
		(unsigned long long)st_unanswered, (unsigned long long)st_err);
	return 0;
}

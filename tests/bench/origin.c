/* Benchmark origin: a single-threaded epoll TCP server that sits behind the
 * proxy under test.  It must cost as little as possible per byte and per
 * connection so that the proxy, not the origin, is what the numbers describe.
 *
 *   origin -p PORT [-a ADDR] -m source|sink|rr|http [-n BYTES] [-q REQ] [-r REPLY]
 *
 *   source  per connection, writes BYTES (-n) from a static buffer, then
 *           closes (anything the peer sends is read and discarded)
 *   sink    per connection, reads and discards until EOF, then closes
 *   rr      request/response: for every REQ bytes received (-q, default 64)
 *           sends REPLY bytes (-r, default 64); closes after the peer's EOF
 *   http    HTTP/1.1 server: answers every request, whatever its method and
 *           path, with "200 OK" and a body of BYTES (-n) announced by
 *           Content-Length.  Keeps the connection open (HTTP/1.1, or 1.0 with
 *           "Connection: keep-alive"); after a request that asks to close it
 *           answers with "Connection: close", shuts its write side and waits
 *           for the peer's EOF.  Pipelined requests are answered in order.
 *           A request body is accepted when announced by Content-Length; a
 *           chunked one, or a request head larger than 16 KiB, is an error
 *           and closes the connection.
 *
 * Prints one "origin: listening ..." line on stdout once it accepts
 * connections.  On SIGTERM/SIGINT prints a summary line on stderr
 * (connections, requests answered in http mode, bytes, resets by the peer,
 * unanswered requests, other errors) and exits 0.
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
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

enum mode { M_SOURCE, M_SINK, M_RR, M_HTTP };

struct conn {
	int fd;
	uint64_t left;   /* source: bytes still to write */
	uint64_t acc;    /* rr: request bytes not yet answered */
	uint64_t owe;    /* rr: reply bytes still to write */
	int want_out;    /* EPOLLOUT currently requested */
	int rd_eof;      /* source: the peer's EOF was seen */
	int events_stale; /* the epoll interest must be rewritten */
	/* http mode */
	char *in;        /* received bytes not parsed yet (HTTP_IN_SIZE) */
	size_t in_len;
	uint64_t skip;   /* request body bytes still to discard */
	uint64_t owed;   /* responses still to send, a partly sent one included */
	size_t off;      /* bytes of the first owed response already sent */
	int closing;     /* the last owed response is the "Connection: close" one */
	int draining;    /* write side shut: input is discarded until EOF */
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
static uint64_t st_conns, st_requests, st_in, st_out, st_reset, st_unanswered, st_err;

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
	free(c->in);
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

/* ------------------------------------------------------------ http mode */

#define HTTP_IN_SIZE 16384 /* largest request head accepted */
#define HTTP_IOV 64        /* responses handed to one writev() */

/* A complete response, head and body, prepared once at start-up. */
struct response {
	char *buf;
	size_t len;
};
static struct response resp_ka, resp_close;

/* What the origin needs to know about one request head. */
struct request {
	int keep_alive;   /* the connection stays open after the response */
	int chunked;      /* Transfer-Encoding present: not supported */
	uint64_t clen;    /* Content-Length, 0 when absent */
};

/* Builds <r>: a 200 response with a body of <body> bytes of obuf's pattern,
 * with "Connection: close" when <closing>.
 */
static void response_build(struct response *r, uint64_t body, int closing)
{
	char head[256];
	int hl = snprintf(head, sizeof(head),
			  "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
			  "Content-Length: %llu\r\n%s\r\n",
			  (unsigned long long)body, closing ? "Connection: close\r\n" : "");
	r->len = (size_t)hl + body;
	r->buf = malloc(r->len);
	if (!r->buf)
		die("malloc");
	memcpy(r->buf, head, (size_t)hl);
	for (uint64_t done = 0; done < body;) {
		size_t chunk = body - done > BUF_SIZE ? BUF_SIZE : (size_t)(body - done);
		memcpy(r->buf + hl + done, obuf, chunk);
		done += chunk;
	}
}

/* True when the comma-separated list <v> (length <len>) holds <token>,
 * compared without case.
 */
static int has_token(const char *v, size_t len, const char *token)
{
	size_t tl = strlen(token);
	for (size_t i = 0; i < len;) {
		while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		size_t j = i;
		while (j < len && v[j] != ',' && v[j] != ' ' && v[j] != '\t')
			j++;
		if (j - i == tl && !strncasecmp(v + i, token, tl))
			return 1;
		i = j;
	}
	return 0;
}

/* Parses the request head <h> (<len> bytes, ending with CRLF CRLF) into <r>.
 * Returns 0, or -1 when it is not an HTTP/1.x request.
 */
static int request_parse(const char *h, size_t len, struct request *r)
{
	const char *end = h + len, *eol = memchr(h, '\n', len);
	if (!eol)
		return -1;
	const char *lend = eol > h && eol[-1] == '\r' ? eol - 1 : eol; /* first line's end */
	if (lend - h < 14 || memcmp(lend - 9, " HTTP/1.", 8))
		return -1;
	int http10 = lend[-1] == '0';
	int conn_close = 0, conn_ka = 0;
	memset(r, 0, sizeof(*r));
	for (const char *line = eol + 1; line < end; line = eol + 1) {
		eol = memchr(line, '\n', (size_t)(end - line));
		if (!eol)
			break;
		const char *colon = memchr(line, ':', (size_t)(eol - line));
		if (!colon)
			continue; /* the final empty line */
		size_t nl = (size_t)(colon - line);
		const char *v = colon + 1;
		size_t vl = (size_t)(eol - v) - (eol[-1] == '\r');
		if (nl == 10 && !strncasecmp(line, "connection", 10)) {
			conn_close |= has_token(v, vl, "close");
			conn_ka |= has_token(v, vl, "keep-alive");
		} else if (nl == 14 && !strncasecmp(line, "content-length", 14)) {
			r->clen = strtoull(v, NULL, 10);
		} else if (nl == 17 && !strncasecmp(line, "transfer-encoding", 17)) {
			r->chunked = 1;
		}
	}
	r->keep_alive = http10 ? conn_ka && !conn_close : !conn_close;
	return 0;
}

/* Takes every complete request out of c->in and owes a response for each;
 * stops after one that closes the connection.  Returns 0, or -1 on a request
 * this origin refuses (counted as an error).
 */
static int http_parse(struct conn *c)
{
	size_t pos = 0;
	while (!c->closing) {
		size_t avail = c->in_len - pos;
		if (c->skip) {
			size_t n = c->skip < avail ? (size_t)c->skip : avail;
			pos += n;
			c->skip -= n;
			if (c->skip)
				break;
			avail -= n;
		}
		const char *start = c->in + pos;
		const char *end = memmem(start, avail, "\r\n\r\n", 4);
		if (!end)
			break;
		size_t hlen = (size_t)(end + 4 - start);
		struct request r;
		if (request_parse(start, hlen, &r) < 0 || r.chunked) {
			st_err++;
			return -1;
		}
		pos += hlen;
		c->skip = r.clen;
		c->owed++;
		st_requests++;
		c->closing = !r.keep_alive;
	}
	memmove(c->in, c->in + pos, c->in_len - pos);
	c->in_len -= pos;
	if (c->in_len == HTTP_IN_SIZE && !c->closing) {
		st_err++; /* a request head that does not fit */
		return -1;
	}
	return 0;
}

/* Reads once.  Returns 1 at EOF, 0 otherwise, -1 on a socket error (errno
 * set, not counted yet), -2 on a refused request (counted).
 */
static int http_read(struct conn *c)
{
	if (c->closing || c->draining || c->in_len == HTTP_IN_SIZE) {
		uint64_t got; /* nothing more will be answered: discard */
		return read_some(c, &got);
	}
	ssize_t n = recv(c->fd, c->in + c->in_len, HTTP_IN_SIZE - c->in_len, 0);
	if (n == 0)
		return 1;
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	st_in += (uint64_t)n;
	c->in_len += (size_t)n;
	return http_parse(c) < 0 ? -2 : 0;
}

/* The response owed in position <i> (0: the first) on <c>. */
static const struct response *owed_response(const struct conn *c, uint64_t i)
{
	return c->closing && i == c->owed - 1 ? &resp_close : &resp_ka;
}

/* Marks <n> more bytes of the owed responses as sent. */
static void http_advance(struct conn *c, size_t n)
{
	while (n) {
		size_t rest = owed_response(c, 0)->len - c->off;
		if (n < rest) {
			c->off += n;
			return;
		}
		n -= rest;
		c->off = 0;
		c->owed--;
	}
}

/* Sends owed responses until done or the socket is full.  Returns 0, or -1
 * on a socket error (errno set).
 */
static int http_write(struct conn *c)
{
	while (c->owed) {
		struct iovec iov[HTTP_IOV];
		int n = 0;
		for (; (uint64_t)n < c->owed && n < HTTP_IOV; n++) {
			const struct response *r = owed_response(c, (uint64_t)n);
			size_t skip = n ? 0 : c->off;
			iov[n].iov_base = r->buf + skip;
			iov[n].iov_len = r->len - skip;
		}
		struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)n};
		ssize_t w = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -1;
		}
		st_out += (uint64_t)w;
		http_advance(c, (size_t)w);
	}
	return 0;
}

static void handle_http(struct conn *c, uint32_t ev)
{
	int eof = 0;
	if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		int r = http_read(c);
		if (r < 0) {
			if (r == -1)
				count_error(errno);
			conn_close(c);
			return;
		}
		eof = r;
	}
	if (!c->draining && http_write(c) < 0) {
		count_error(errno);
		conn_close(c);
		return;
	}
	if (eof) {
		st_unanswered += c->owed;
		conn_close(c);
		return;
	}
	if (c->closing && !c->owed && !c->draining) {
		/* the peer sees our FIN after the response and closes its side */
		shutdown(c->fd, SHUT_WR);
		c->draining = 1;
	}
	set_out(c, c->owed != 0);
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
		if (mode == M_RR || mode == M_HTTP) {
			int one = 1;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		}
		struct conn *c = calloc(1, sizeof(*c));
		if (!c)
			die("calloc");
		c->fd = fd;
		if (mode == M_HTTP && !(c->in = malloc(HTTP_IN_SIZE)))
			die("malloc");
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
	fprintf(stderr, "usage: origin -p PORT [-a ADDR] -m source|sink|rr|http [-n BYTES] "
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
	else if (!strcmp(mstr, "http"))
		mode = M_HTTP;
	else
		usage();

	for (size_t i = 0; i < sizeof(obuf); i++)
		obuf[i] = (char)('a' + i % 26);
	if (mode == M_HTTP) {
		response_build(&resp_ka, nbytes, 0);
		response_build(&resp_close, nbytes, 1);
	}

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
			case M_HTTP: handle_http(c, evs[i].events); break;
			}
		}
	}
	fprintf(stderr,
		"origin: conns=%llu requests=%llu bytes_in=%llu bytes_out=%llu resets=%llu "
		"unanswered=%llu errors=%llu\n",
		(unsigned long long)st_conns, (unsigned long long)st_requests,
		(unsigned long long)st_in,
		(unsigned long long)st_out, (unsigned long long)st_reset,
		(unsigned long long)st_unanswered, (unsigned long long)st_err);
	return 0;
}

/* Benchmark load client: drives connections through the proxy under test and
 * counts what went wrong.  Single-threaded, epoll, edge-triggered.
 *
 *   load -c ADDR:PORT -m bulk|upload|connrate [options]
 *
 *   bulk      -k connections each read until EOF; every one must receive
 *             exactly -n bytes (fewer or more counts as a short read).
 *             Reports the aggregate throughput.
 *   upload    -k connections each send -n bytes, shut their write side and
 *             wait for the server's EOF.  Reports the aggregate throughput.
 *   connrate  for -d seconds keeps -k connections in flight; each one
 *             connects, sends -q bytes, reads -r bytes and closes; a new one
 *             replaces it at once.  Reports completed connections per second.
 *
 *   -n BYTES    bulk/upload: bytes per connection (default 1 GiB)
 *   -k N        concurrent connections (bulk/upload 1, connrate 64)
 *   -d SECONDS  connrate: measuring duration (default 10)
 *   -q BYTES    connrate: request size (default 64)
 *   -r BYTES    connrate: reply size expected (default 64)
 *   -t SECONDS  a connection idle this long counts as a timeout (default 10)
 *   -S N        connrate: spread client source addresses over 127.0.0.1 ..
 *               127.0.0.N (IP_BIND_ADDRESS_NO_PORT) so that TIME_WAIT
 *               entries do not exhaust the ephemeral ports (default 1)
 *
 * Output: one line on stdout, "load: key=value ...", with at least
 *   seconds ok connect_fail short_read reset timeout
 * and   bytes mbps (bulk/upload)  or  rate (connrate).
 * Exit status is 0 whenever the measurement ran, even with errors counted;
 * 2 on bad usage.
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
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

enum mode { M_BULK, M_UPLOAD, M_CONNRATE };
enum state { S_IDLE, S_CONNECTING, S_SENDING, S_READING, S_DONE };

struct slot {
	int fd;
	enum state st;
	uint32_t gen;      /* bumped at every new connection of the slot */
	uint64_t sent;
	uint64_t got;
	double last;       /* last progress, for the idle timeout */
};

#define BUF_SIZE (1024 * 1024)
static char buf[BUF_SIZE];

static enum mode mode;
static struct sockaddr_in dst;
static uint64_t nbytes = 1ULL << 30;
static uint64_t req_size = 64, rep_size = 64;
static int nconns = -1;
static double duration = 10, idle_to = 10;
static int nsrc = 1;
static int epfd;
static uint32_t src_next;

static uint64_t ok, connect_fail, short_read, reset, timeouts, total_bytes;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "load: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void slot_close(struct slot *s, enum state next)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->st = next;
}

/* Starts a new connection in <s>; on an immediate failure the slot stays
 * idle (retried after the next poll) and the failure is counted.
 */
static void slot_start(struct slot *s, uint32_t idx)
{
	s->gen++;
	s->sent = s->got = 0;
	s->last = now();
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		connect_fail++;
		s->st = S_IDLE;
		return;
	}
	if (mode == M_CONNRATE) {
		int one = 1;
		setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	if (nsrc > 1) {
		int one = 1;
		struct sockaddr_in src = {.sin_family = AF_INET};
		src.sin_addr.s_addr = htonl(0x7f000001u + src_next++ % (uint32_t)nsrc);
		setsockopt(s->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		if (bind(s->fd, (struct sockaddr *)&src, sizeof(src)) < 0) {
			connect_fail++;
			slot_close(s, S_IDLE);
			return;
		}
	}
	if (connect(s->fd, (struct sockaddr *)&dst, sizeof(dst)) < 0 && errno != EINPROGRESS) {
		connect_fail++;
		slot_close(s, S_IDLE);
		return;
	}
	s->st = S_CONNECTING;
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
				 .data.u64 = ((uint64_t)s->gen << 32) | idx};
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, s->fd, &ev) < 0)
		die("epoll_ctl(ADD)");
}

/* A connection of <s> ended; connrate starts the next one at once. */
static void slot_finish(struct slot *s, uint32_t idx, int success)
{
	if (success)
		ok++;
	slot_close(s, mode == M_CONNRATE ? S_IDLE : S_DONE);
	if (mode == M_CONNRATE)
		slot_start(s, idx);
}

/* Sends what remains of the request/upload. Returns 1 when all is sent,
 * 0 to wait for EPOLLOUT, -1 after an error (already counted, slot closed).
 */
static int slot_send(struct slot *s, uint32_t idx, uint64_t total)
{
	while (s->sent < total) {
		uint64_t left = total - s->sent;
		size_t chunk = left > BUF_SIZE ? BUF_SIZE : (size_t)left;
		ssize_t n = send(s->fd, buf, chunk, MSG_NOSIGNAL);
		if (n > 0) {
			s->sent += (uint64_t)n;
			s->last = now();
			if (mode == M_UPLOAD)
				total_bytes += (uint64_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		reset++;
		slot_finish(s, idx, 0);
		return -1;
	}
	return 1;
}

static void on_event(struct slot *s, uint32_t idx, uint32_t ev)
{
	if (s->st == S_CONNECTING) {
		if (ev & EPOLLERR) {
			int err = 0;
			socklen_t sl = sizeof(err);
			getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &sl);
			connect_fail++;
			slot_finish(s, idx, 0);
			return;
		}
		if (!(ev & (EPOLLOUT | EPOLLIN | EPOLLHUP)))
			return;
		s->last = now();
		s->st = mode == M_BULK ? S_READING : S_SENDING;
		ev |= EPOLLIN; /* data may already be waiting (bulk) */
	}
	if (s->st == S_SENDING) {
		int r = slot_send(s, idx, mode == M_UPLOAD ? nbytes : req_size);
		if (r < 0)
			return;
		if (r == 0)
			return;
		if (mode == M_UPLOAD)
			shutdown(s->fd, SHUT_WR);
		s->st = S_READING;
		/* a reply that came already raised no new edge: try reading */
		ev |= EPOLLIN;
	}
	if (s->st != S_READING || !(ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		return;
	for (;;) {
		ssize_t n = recv(s->fd, buf, sizeof(buf), 0);
		if (n > 0) {
			s->got += (uint64_t)n;
			s->last = now();
			if (mode == M_BULK)
				total_bytes += (uint64_t)n;
			if (mode == M_CONNRATE && s->got >= rep_size) {
				int good = s->got == rep_size;
				if (!good)
					short_read++; /* more than asked: counted with the short ones */
				slot_finish(s, idx, good);
				return;
			}
			continue;
		}
		if (n == 0) {
			int good = mode == M_BULK ? s->got == nbytes : mode == M_UPLOAD;
			if (!good)
				short_read++;
			slot_finish(s, idx, good);
			return;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			return;
		reset++;
		slot_finish(s, idx, 0);
		return;
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: load -c ADDR:PORT -m bulk|upload|connrate [-n BYTES] [-k N] "
			"[-d SECONDS] [-q BYTES] [-r BYTES] [-t SECONDS] [-S N]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *target = NULL, *mstr = NULL;
	int opt;

	while ((opt = getopt(argc, argv, "c:m:n:k:d:q:r:t:S:")) != -1) {
		switch (opt) {
		case 'c': target = optarg; break;
		case 'm': mstr = optarg; break;
		case 'n': nbytes = strtoull(optarg, NULL, 0); break;
		case 'k': nconns = atoi(optarg); break;
		case 'd': duration = atof(optarg); break;
		case 'q': req_size = strtoull(optarg, NULL, 0); break;
		case 'r': rep_size = strtoull(optarg, NULL, 0); break;
		case 't': idle_to = atof(optarg); break;
		case 'S': nsrc = atoi(optarg); break;
		default: usage();
		}
	}
	if (!target || !mstr)
		usage();
	if (!strcmp(mstr, "bulk"))
		mode = M_BULK;
	else if (!strcmp(mstr, "upload"))
		mode = M_UPLOAD;
	else if (!strcmp(mstr, "connrate"))
		mode = M_CONNRATE;
	else
		usage();
	if (nconns < 0)
		nconns = mode == M_CONNRATE ? 64 : 1;
	if (nconns < 1 || nsrc < 1 || nsrc > 254 || duration <= 0 || idle_to <= 0 ||
	    !rep_size)
		usage();

	char host[64];
	const char *colon = strrchr(target, ':');
	if (!colon || (size_t)(colon - target) >= sizeof(host))
		usage();
	memcpy(host, target, (size_t)(colon - target));
	host[colon - target] = 0;
	dst.sin_family = AF_INET;
	dst.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &dst.sin_addr) != 1)
		usage();

	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)('A' + i % 26);

	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		die("epoll_create1");
	struct slot *slots = calloc((size_t)nconns, sizeof(*slots));
	if (!slots)
		die("calloc");

	double start = now(), end = start + duration, last_scan = start;
	for (int i = 0; i < nconns; i++) {
		slots[i].fd = -1;
		slot_start(&slots[i], (uint32_t)i);
	}

	struct epoll_event evs[512];
	for (;;) {
		double t = now();
		if (mode == M_CONNRATE && t >= end)
			break;
		int idle = 0, active = 0;
		for (int i = 0; i < nconns; i++) {
			if (slots[i].st == S_IDLE)
				idle = 1;
			else if (slots[i].st != S_DONE)
				active = 1;
		}
		if (mode != M_CONNRATE && !active && !idle)
			break;
		int wait_ms = idle ? 1 : 100;
		if (mode == M_CONNRATE && (end - t) * 1000 < wait_ms)
			wait_ms = (int)((end - t) * 1000) + 1;
		int n = epoll_wait(epfd, evs, 512, wait_ms);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait");
		}
		for (int i = 0; i < n; i++) {
			uint32_t idx = (uint32_t)evs[i].data.u64;
			uint32_t gen = (uint32_t)(evs[i].data.u64 >> 32);
			struct slot *s = &slots[idx];
			if (s->gen != gen || s->fd < 0)
				continue; /* an event of a connection closed since */
			on_event(s, idx, evs[i].events);
		}
		t = now();
		/* slots whose last connect failed at once: retry after a poll */
		for (int i = 0; i < nconns; i++) {
			if (slots[i].st != S_IDLE)
				continue;
			if (mode == M_CONNRATE)
				slot_start(&slots[i], (uint32_t)i);
			else
				slots[i].st = S_DONE; /* one attempt per bulk/upload connection */
		}
		if (t - last_scan >= 0.1) {
			last_scan = t;
			for (int i = 0; i < nconns; i++) {
				struct slot *s = &slots[i];
				if (s->fd >= 0 && t - s->last >= idle_to) {
					timeouts++;
					slot_finish(s, (uint32_t)i, 0);
				}
			}
		}
	}
	double secs = now() - start;

	printf("load: mode=%s conns=%d seconds=%.3f ok=%llu connect_fail=%llu short_read=%llu "
	       "reset=%llu timeout=%llu",
	       mstr, nconns, secs, (unsigned long long)ok, (unsigned long long)connect_fail,
	       (unsigned long long)short_read, (unsigned long long)reset,
	       (unsigned long long)timeouts);
	if (mode == M_CONNRATE)
		printf(" rate=%.1f\n", (double)ok / secs);
	else
		printf(" bytes=%llu mbps=%.1f\n", (unsigned long long)total_bytes,
		       (double)total_bytes / secs / 1e6);
	return 0;
}

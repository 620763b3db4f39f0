/* Idle keep-alive connections for tests/bench (memory per connection).
 *
 *   idleconns -c HOST:PORT -n CONNS [-H SECONDS] [-P PID,PID...]
 *
 * Opens CONNS connections, sends one HTTP/1.1 request on each and reads
 * its response, then keeps every connection open and idle for SECONDS
 * (default 3) and closes them. With -P, the resident memory (VmRSS) of the
 * listed processes is summed before the first connection and while all are
 * idle. Prints one line:
 *   idleconns: conns=N ok=N failed=N rss_before_kib=N rss_idle_kib=N seconds=N
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char req[] = "GET / HTTP/1.1\r\nHost: bench\r\n\r\n";

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sum of VmRSS (KiB) of the comma-separated pids in <list>. */
static long rss_kib(const char *list)
{
	long total = 0;
	char path[64], line[256];
	for (const char *p = list; p && *p;) {
		long pid = strtol(p, NULL, 10);
		snprintf(path, sizeof(path), "/proc/%ld/status", pid);
		FILE *f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f))
			if (!strncmp(line, "VmRSS:", 6))
				total += strtol(line + 6, NULL, 10);
		if (f)
			fclose(f);
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return total;
}

static void raise_fd_limit(int want)
{
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < (rlim_t)want) {
		rl.rlim_cur = rl.rlim_max > (rlim_t)want ? (rlim_t)want : rl.rlim_max;
		if (rl.rlim_max < (rlim_t)want)
			rl.rlim_max = rl.rlim_cur = (rlim_t)want; /* root may raise it */
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

#define BATCH 64

/* Connects fds[first..last) to <dst> and sends the request on each,
 * watching them on <ep>; returns how many wait for a response.
 */
static int open_batch(int *fds, int first, int last, const struct sockaddr_in *dst, int ep,
                      int *failed)
{
	int waiting = 0;
	for (int i = first; i < last; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (fds[i] < 0 || connect(fds[i], (const struct sockaddr *)dst, sizeof(*dst)) < 0 ||
		    send(fds[i], req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)sizeof(req) - 1) {
			(*failed)++;
			if (fds[i] >= 0)
				close(fds[i]);
			fds[i] = -1;
			continue;
		}
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
		epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
		waiting++;
	}
	return waiting;
}

int main(int argc, char **argv)
{
	const char *target = NULL, *pids = NULL;
	int n = 0, hold = 3, opt;
	while ((opt = getopt(argc, argv, "c:n:H:P:")) != -1) {
		if (opt == 'c')
			target = optarg;
		else if (opt == 'n')
			n = atoi(optarg);
		else if (opt == 'H')
			hold = atoi(optarg);
		else if (opt == 'P')
			pids = optarg;
	}
	const char *colon = target ? strrchr(target, ':') : NULL;
	if (!colon || n <= 0) {
		fprintf(stderr, "usage: idleconns -c HOST:PORT -n CONNS [-H SECONDS] [-P PIDS]\n");
		return 2;
	}
	struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons(atoi(colon + 1))};
	char host[64];
	snprintf(host, sizeof(host), "%.*s", (int)(colon - target), target);
	inet_pton(AF_INET, host, &dst.sin_addr);
	raise_fd_limit(n + 64);

	long rss0 = pids ? rss_kib(pids) : 0;
	double t0 = now();
	int *fds = calloc((size_t)n, sizeof(int));
	int ok = 0, failed = 0, ep = epoll_create1(0);
	/* 64 requests in flight at most: what a proxy holds at the peak stays
	 * small, so the memory measured is that of idle connections
	 */
	for (int first = 0; first < n; first += BATCH) {
		int last = first + BATCH < n ? first + BATCH : n;
		int waiting = open_batch(fds, first, last, &dst, ep, &failed);
		struct epoll_event evs[BATCH];
		char buf[4096];
		while (waiting > 0) {
			int k = epoll_wait(ep, evs, BATCH, 10000);
			if (k <= 0)
				break;
			for (int j = 0; j < k; j++) {
				int i = (int)evs[j].data.u32;
				ssize_t r = recv(fds[i], buf, sizeof(buf), MSG_DONTWAIT);
				epoll_ctl(ep, EPOLL_CTL_DEL, fds[i], NULL);
				waiting--;
				if (r > 12 && !memcmp(buf, "HTTP/1.1 200", 12))
					ok++;
				else
					failed++;
			}
		}
		failed += waiting;
	}
	usleep(500 * 1000); /* let the proxy settle: buffers of finished requests freed */
	long rss1 = pids ? rss_kib(pids) : 0;
	sleep((unsigned)hold);
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	printf("idleconns: conns=%d ok=%d failed=%d rss_before_kib=%ld rss_idle_kib=%ld "
	       "seconds=%.3f\n",
	       n, ok, failed, rss0, rss1, now() - t0);
	return 0;
}

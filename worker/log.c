/* Log line framing and sending (see worker/log.h). */
#include "worker/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "common/chars.h"
#include "common/msg.h"
#include "conf/model-t.h"
#include "conf/ring.h"
#include "worker/ring.h"

_Atomic uint64_t log_dropped;

/* Per-thread sockets, one per address family, opened on first use. */
static __thread int sock_fd[3] = {-1, -1, -1};

/* Per-thread cache of the formatted dates of the current second. */
static __thread struct {
	time_t sec;
	char bsd[20]; /* "Dec  6 02:51:54 " */
	char iso[32]; /* "2026-12-06T02:51:54" */
	char tz[8];   /* "+00:00" */
} date_cache;

static void refresh_dates(time_t sec)
{
	if (date_cache.sec == sec && date_cache.bsd[0])
		return;
	struct tm tm;
	localtime_r(&sec, &tm);
	strftime(date_cache.bsd, sizeof(date_cache.bsd), "%b %e %H:%M:%S ", &tm);
	strftime(date_cache.iso, sizeof(date_cache.iso), "%Y-%m-%dT%H:%M:%S", &tm);
	long off = tm.tm_gmtoff / 60;
	int abs_off = (int)((off < 0 ? -off : off) % (24 * 60));
	snprintf(date_cache.tz, sizeof(date_cache.tz), "%c%02d:%02d", off < 0 ? '-' : '+',
	         abs_off / 60 % 100, abs_off % 60);
	date_cache.sec = sec;
}

/* "2026-12-06T02:51:54.020975+00:00" for <ts>. */
static size_t iso_date(const struct timespec *ts, char *out)
{
	refresh_dates(ts->tv_sec);
	return (size_t)sprintf(out, "%s.%06ld%s", date_cache.iso, ts->tv_nsec / 1000,
	                       date_cache.tz);
}

/* "tag[pid]: " (the tag cut at 64 bytes), cached per thread (and per
 * process: a fork keeps the caller's thread-local copy).
 */
static size_t tag_pid(char *out, const char *tag)
{
	static __thread const char *last_tag;
	static __thread pid_t last_pid;
	static __thread char text[96];
	static __thread size_t len;
	pid_t pid = getpid();
	if (tag != last_tag || pid != last_pid) {
		len = (size_t)snprintf(text, sizeof(text), "%.64s[%d]: ", tag, (int)pid);
		last_tag = tag;
		last_pid = pid;
	}
	memcpy(out, text, len);
	return len;
}

size_t log_build_header(const struct log_target *t, int level, const char *tag, const char *sd,
                        size_t sdlen, char *out)
{
	struct timespec ts;
	const char *host = log_hostname();
	int pri = t->facility * 8 + level;
	size_t n = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	switch (t->format) {
	case LOG_FMT_RFC3164:
	case LOG_FMT_LOCAL:
		refresh_dates(ts.tv_sec);
		out[n++] = '<';
		n += (size_t)fmt_i64(out + n, pri);
		out[n++] = '>';
		memcpy(out + n, date_cache.bsd, strlen(date_cache.bsd));
		n += strlen(date_cache.bsd);
		if (!host && t->format_set) /* an explicit rfc3164 always names a host */
			host = "localhost";
		if (host && t->format == LOG_FMT_RFC3164)
			n += (size_t)sprintf(out + n, "%.255s ", host);
		n += tag_pid(out + n, tag);
		break;
	case LOG_FMT_RFC5424:
		n = (size_t)sprintf(out, "<%d>1 ", pri);
		n += iso_date(&ts, out + n);
		n += (size_t)sprintf(out + n, " %.255s %.64s %d - ", host ? host : "-", tag,
		                     (int)getpid());
		if (!sd || !sdlen) {
			sd = "-";
			sdlen = 1;
		}
		break;
	case LOG_FMT_PRIORITY:
		n = (size_t)sprintf(out, "<%d>", pri);
		break;
	case LOG_FMT_SHORT:
		n = (size_t)sprintf(out, "<%d>", level);
		break;
	case LOG_FMT_TIMED:
		n = (size_t)sprintf(out, "<%d>", level);
		n += iso_date(&ts, out + n);
		out[n++] = ' ';
		break;
	case LOG_FMT_ISO:
		n = iso_date(&ts, out);
		out[n++] = ' ';
		break;
	case LOG_FMT_RAW:
		break;
	}
	if (t->format == LOG_FMT_RFC5424) {
		size_t k = sdlen < 256 ? sdlen : 256;
		memcpy(out + n, sd, k);
		n += k;
		out[n++] = ' ';
	}
	return n;
}

/* The thread's socket for <family>, opened non-blocking on first use. */
static int family_socket(int family)
{
	int i = family == AF_INET ? 0 : family == AF_INET6 ? 1 : 2;
	if (sock_fd[i] < 0)
		sock_fd[i] = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	return sock_fd[i];
}

/* Whether the sampling of <t> keeps this line. */
static int sampled_in(const struct log_target *t)
{
	if (!t->smp_size)
		return 1;
	int idx = (int)(atomic_fetch_add(t->smp_count, 1) % (unsigned)t->smp_size) + 1;
	for (int i = 0; i < t->smp_nranges; i++)
		if (idx >= t->smp_ranges[i].lo && idx <= t->smp_ranges[i].hi)
			return 1;
	return 0;
}

/* Per-fd state of file descriptor targets (fds below FD_TARGETS_MAX; others
 * are written without these guarantees).
 */
#define FD_TARGETS_MAX 64
static struct {
	_Atomic int init; /* 0 unset, 1 being set up, 2 ready */
	int is_pipe;
	pthread_mutex_t lock; /* orders the space check and the write */
} fd_state[FD_TARGETS_MAX];

/* Makes <fd> non-blocking and records its kind, once per process. */
static void fd_target_init(int fd)
{
	int expect = 0;
	if (!atomic_compare_exchange_strong(&fd_state[fd].init, &expect, 1)) {
		while (atomic_load(&fd_state[fd].init) != 2)
			; /* another thread is finishing the set up */
		return;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	struct stat st;
	fd_state[fd].is_pipe = fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
	pthread_mutex_init(&fd_state[fd].lock, NULL);
	atomic_store(&fd_state[fd].init, 2);
}

/* Whether a pipe <fd> has room for <len> more bytes (lines up to PIPE_BUF
 * are written atomically anyway).
 */
static int pipe_has_room(int fd, size_t len)
{
	int size = fcntl(fd, F_GETPIPE_SZ), queued = 0;
	if (len <= PIPE_BUF || size < 0 || ioctl(fd, FIONREAD, &queued) < 0)
		return 1;
	return len <= (size_t)size - (size_t)queued;
}

/* Writes the line to a file descriptor target, all of it or nothing: a line
 * a pipe cannot take whole is not started (-1, a drop). A short write on
 * another kind of fd also returns -1, the line being cut.
 */
static ssize_t send_fd(const struct log_target *t, struct iovec *iov, int n)
{
	int fd = t->fd;
	if (fd < 0 || fd >= FD_TARGETS_MAX)
		return writev(fd, iov, n);
	fd_target_init(fd);
	size_t len = 0;
	for (int i = 0; i < n; i++)
		len += iov[i].iov_len;
	ssize_t r = -1;
	pthread_mutex_lock(&fd_state[fd].lock);
	if (!fd_state[fd].is_pipe || pipe_has_room(fd, len))
		r = writev(fd, iov, n);
	pthread_mutex_unlock(&fd_state[fd].lock);
	return r == (ssize_t)len ? r : -1;
}

/* Per-thread batches of datagram lines, sent with one sendmmsg() at the end
 * of the loop turn (log_flush_thread()) or when full. A slot holds the
 * pending lines of one target; the target is only compared, never read
 * again, as its address is copied.
 */
#define LOG_BATCH_SLOTS 8
#define LOG_BATCH_LINES 64
#define LOG_BATCH_BYTES 65536

struct log_batch {
	const struct log_target *t; /* the target of the pending lines */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int n;       /* lines pending */
	size_t used; /* bytes of buf in use */
	struct mmsghdr msgs[LOG_BATCH_LINES];
	struct iovec iov[LOG_BATCH_LINES];
	char buf[LOG_BATCH_BYTES];
};

static __thread struct log_batch *batches[LOG_BATCH_SLOTS];
static __thread int batches_pending; /* slots with lines */
__thread int log_batching;

/* Sends the pending lines of <b> with sendmmsg(); the lines that could not
 * go at once are dropped and counted. <b> is empty afterwards.
 */
static void batch_flush(struct log_batch *b)
{
	int fd = family_socket(b->addr.ss_family);
	int done = 0;
	while (done < b->n) {
		int r = fd < 0 ? -1
		               : sendmmsg(fd, b->msgs + done, (unsigned)(b->n - done),
		                          MSG_DONTWAIT | MSG_NOSIGNAL);
		if (r > 0) {
			done += r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EMSGSIZE) { /* that line only */
			atomic_fetch_add(&log_dropped, 1);
			done++;
			continue;
		}
		/* full buffer, no listener...: the next lines would fail too */
		atomic_fetch_add(&log_dropped, (uint64_t)(b->n - done));
		break;
	}
	b->n = 0;
	b->used = 0;
	b->t = NULL;
	batches_pending--;
}

/* The batch slot of <t> on this thread: the one holding its lines, else an
 * empty one (allocated on first use), else a slot emptied by sending the
 * lines of another target. NULL if memory is short.
 */
static struct log_batch *batch_of(const struct log_target *t)
{
	static __thread unsigned next_victim;
	int empty = -1;
	for (int i = 0; i < LOG_BATCH_SLOTS; i++) {
		struct log_batch *b = batches[i];
		if (b && b->n && b->t == t)
			return b;
		if (empty < 0 && (!b || !b->n))
			empty = i;
	}
	if (empty < 0) { /* all slots busy: make room */
		empty = (int)(next_victim++ % LOG_BATCH_SLOTS);
		batch_flush(batches[empty]);
	}
	if (!batches[empty] && !(batches[empty] = calloc(1, sizeof(struct log_batch))))
		return NULL;
	struct log_batch *b = batches[empty];
	b->t = t;
	memcpy(&b->addr, &t->addr, t->addrlen);
	b->addrlen = t->addrlen;
	batches_pending++;
	return b;
}

/* Queues the line of <iov> (<len> bytes in all) in the thread's batch of
 * datagram target <t>; 0, or -1 when it must be sent at once (no batch
 * available, or a line too long for one), the lines queued before it being
 * sent first.
 */
static int batch_add(const struct log_target *t, const struct iovec *iov, int niov, size_t len)
{
	struct log_batch *b = batch_of(t);
	if (!b) /* no memory: t has no pending lines either */
		return -1;
	if (len > LOG_BATCH_BYTES) { /* longer than len allows: not expected */
		batch_flush(b);
		return -1;
	}
	if (b->n == LOG_BATCH_LINES || b->used + len > LOG_BATCH_BYTES) {
		batch_flush(b); /* keeps the order: the older lines go first */
		b = batch_of(t);
		if (!b)
			return -1;
	}
	char *p = b->buf + b->used;
	for (int i = 0, off = 0; i < niov; i++) {
		memcpy(p + off, iov[i].iov_base, iov[i].iov_len);
		off += (int)iov[i].iov_len;
	}
	struct iovec *v = &b->iov[b->n];
	v->iov_base = p;
	v->iov_len = len;
	struct msghdr *mh = &b->msgs[b->n].msg_hdr;
	*mh = (struct msghdr){.msg_name = &b->addr, .msg_namelen = b->addrlen};
	mh->msg_iov = v;
	mh->msg_iovlen = 1;
	b->n++;
	b->used += len;
	return 0;
}

void log_flush_thread(void)
{
	for (int i = 0; batches_pending && i < LOG_BATCH_SLOTS; i++)
		if (batches[i] && batches[i]->n)
			batch_flush(batches[i]);
}

void log_free_thread(void)
{
	log_flush_thread();
	for (int i = 0; i < LOG_BATCH_SLOTS; i++) {
		free(batches[i]);
		batches[i] = NULL;
	}
}

void log_deliver(const struct log_target *t, const char *hdr, size_t hlen, const char *msg,
                 size_t len)
{
	if (t->kind == LOG_TGT_RING) { /* the ring bounds the length itself */
		if (ring_write(t->ring, hdr, hlen, msg, len) < 0)
			atomic_fetch_add(&log_dropped, 1);
		return;
	}
	size_t max = (size_t)t->maxlen; /* the newline comes on top */
	if (hlen > max)
		hlen = max;
	if (len > max - hlen)
		len = max - hlen;
	struct iovec iov[3] = {{(void *)hdr, hlen}, {(void *)msg, len}, {"\n", 1}};
	ssize_t r;
	if (t->kind == LOG_TGT_FD) {
		r = send_fd(t, iov, 3);
	} else if (log_batching && batch_add(t, iov, 3, hlen + len + 1) == 0) {
		return;
	} else {
		int fd = family_socket(t->addr.ss_family);
		struct msghdr mh = {.msg_name = (void *)&t->addr,
		                    .msg_namelen = t->addrlen,
		                    .msg_iov = iov,
		                    .msg_iovlen = 3};
		r = fd < 0 ? -1 : sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	if (r < 0) {
		atomic_fetch_add(&log_dropped, 1);
		if (t->kind == LOG_TGT_FD)
			ring_count_fd_drop(t->fd);
	}
}

enum log_format log_effective_format(const struct log_target *t, int *format_set)
{
	if (t->kind == LOG_TGT_RING) { /* the ring's framing applies */
		*format_set = t->ring->format_set;
		return t->ring->format;
	}
	*format_set = t->format_set;
	return t->format;
}

/* Frames <msg> for <t> at <level> and sends it. */
static void send_one(const struct log_target *t, int level, const char *tag, const char *sd,
                     size_t sdlen, const char *msg, size_t len)
{
	char hdr[768];
	struct log_target fmt = *t;
	fmt.format = log_effective_format(t, &fmt.format_set);
	size_t hlen = log_build_header(&fmt, level, tag, sd, sdlen, hdr);
	log_deliver(t, hdr, hlen, msg, len);
}

int log_target_level(const struct log_target *t, int level)
{
	if (level > t->level || !sampled_in(t))
		return -1;
	return level < t->minlevel ? t->minlevel : level;
}

void log_send(const struct log_target *targets, int level, const char *tag, const char *sd,
              size_t sdlen, const char *msg, size_t len)
{
	for (const struct log_target *t = targets; t; t = t->next) {
		int l = log_target_level(t, level);
		if (l >= 0)
			send_one(t, l, tag, sd, sdlen, msg, len);
	}
}

/* Sends <msg> (<n> from vsnprintf) to the targets of <px>. */
static void send_px(const struct proxy *px, int level, const char *msg, int n, size_t size)
{
	const struct log_target *targets = px ? px->log.targets : global_log.targets;
	if (!targets || n < 0)
		return;
	size_t len = (size_t)n < size ? (size_t)n : size - 1;
	while (len && msg[len - 1] == '\n')
		len--;
	log_send(targets, level, log_tag_of(px ? &px->log : NULL), NULL, 0, msg, len);
}

void log_px_printf(const struct proxy *px, int level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	send_px(px, level, msg, n, sizeof(msg));
}

void log_event(const struct proxy *px, int level, int msg_lvl, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n >= 0)
		msg_emit((enum msg_level)msg_lvl, "%s", msg);
	send_px(px, level, msg, n, sizeof(msg));
}

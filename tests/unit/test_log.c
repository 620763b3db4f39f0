/* Unit tests for log line framing and sending (worker/log.c) and the
 * separator rules of log formats (common/logfmt.c).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <regex.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/logfmt.h"
#include "conf/log.h"
#include "tests/unit/test.h"
#include <limits.h>
#include "common/chars.h"
#include "worker/log-forward.h"
#include "worker/log.h"

static int matches(const char *s, const char *re)
{
	regex_t r;
	if (regcomp(&r, re, REG_EXTENDED | REG_NOSUB))
		return 0;
	int ok = regexec(&r, s, 0, NULL, 0) == 0;
	regfree(&r);
	return ok;
}

/* The header of <fmt> for facility local0 (16) at level info. */
static const char *header(enum log_format fmt, const char *sd)
{
	static char out[768];
	struct log_target t = {.format = fmt, .facility = 16, .level = 7, .maxlen = 1024};
	size_t n = log_build_header(&t, 6, "tag", sd, sd ? strlen(sd) : 0, out);
	out[n] = 0;
	return out;
}

TEST(header_formats)
{
	global_log.send_hostname = NULL;
	CHECK(matches(
	    header(LOG_FMT_RFC3164, NULL),
	    "^<134>[A-Z][a-z]{2} [ 1-3][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} tag\\[[0-9]+\\]: $"));
	CHECK(matches(
	    header(LOG_FMT_RFC5424, NULL),
	    "^<134>1 [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{6}[+-][0-9]{2}:[0-9]{2} - "
	    "tag [0-9]+ - - $"));
	CHECK(matches(header(LOG_FMT_RFC5424, "[a b=\"c\"]"), " tag [0-9]+ - \\[a b=\"c\"\\] $"));
	CHECK_STR(header(LOG_FMT_PRIORITY, NULL), "<134>");
	CHECK_STR(header(LOG_FMT_SHORT, NULL), "<6>");
	CHECK(matches(header(LOG_FMT_TIMED, NULL), "^<6>[0-9-]{10}T[0-9:.]{15}[+-][0-9:]{5} $"));
	CHECK(matches(header(LOG_FMT_ISO, NULL), "^[0-9-]{10}T[0-9:.]{15}[+-][0-9:]{5} $"));
	CHECK_STR(header(LOG_FMT_RAW, NULL), "");

	global_log.send_hostname = "edge";
	CHECK(matches(header(LOG_FMT_RFC3164, NULL), " edge tag\\[[0-9]+\\]: $"));
	CHECK(matches(header(LOG_FMT_LOCAL, NULL), ":[0-9]{2} tag\\[[0-9]+\\]: $"));
	CHECK(matches(header(LOG_FMT_RFC5424, NULL), " edge tag [0-9]+ - - $"));
	global_log.send_hostname = NULL;
}

/* A UDP socket on loopback and a target pointing at it. */
static int udp_target(struct log_target *t, enum log_format fmt)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(a);
	bind(fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(fd, (struct sockaddr *)&a, &sl);
	memset(t, 0, sizeof(*t));
	t->kind = LOG_TGT_DGRAM;
	memcpy(&t->addr, &a, sizeof(a));
	t->addrlen = sizeof(a);
	t->format = fmt;
	t->maxlen = 1024;
	t->facility = 16;
	t->level = 7;
	return fd;
}

/* The next datagram on <fd> (static buffer), "" when none is waiting. */
static const char *next_line(int fd)
{
	static char buf[2048];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	buf[n > 0 ? n : 0] = 0;
	return buf;
}

TEST(send_truncates_filters_and_caps_levels)
{
	struct log_target t;
	int fd = udp_target(&t, LOG_FMT_RAW);
	log_send(&t, 6, "tag", NULL, 0, "hello", 5);
	CHECK_STR(next_line(fd), "hello\n");

	char big[300];
	memset(big, 'x', sizeof(big));
	t.maxlen = 80; /* the newline comes on top of the 80 bytes */
	log_send(&t, 6, "tag", NULL, 0, big, sizeof(big));
	const char *l = next_line(fd);
	CHECK_INT(strlen(l), 81);
	CHECK(l[80] == '\n');

	t.format = LOG_FMT_SHORT;
	t.level = 3; /* err and more severe only */
	log_send(&t, 6, "tag", NULL, 0, "info", 4);
	log_send(&t, 3, "tag", NULL, 0, "err", 3);
	CHECK_STR(next_line(fd), "<3>err\n");
	CHECK_STR(next_line(fd), "");

	t.level = 7;
	t.minlevel = 2; /* emerg and alert are sent as crit */
	log_send(&t, 0, "tag", NULL, 0, "boom", 4);
	CHECK_STR(next_line(fd), "<2>boom\n");
	close(fd);
}

TEST(sampling_keeps_the_chosen_lines)
{
	struct log_target t;
	int fd = udp_target(&t, LOG_FMT_RAW);
	_Atomic unsigned count = 0;
	struct {
		int lo, hi;
	} ranges[] = {{1, 1}, {3, 4}};
	t.smp_size = 5;
	t.smp_nranges = 2;
	t.smp_ranges = (void *)ranges;
	t.smp_count = &count;
	for (int i = 1; i <= 10; i++) {
		char m[8];
		int n = snprintf(m, sizeof(m), "%d", i);
		log_send(&t, 6, "tag", NULL, 0, m, (size_t)n);
	}
	const char *want[] = {"1\n", "3\n", "4\n", "6\n", "8\n", "9\n"};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CHECK_STR(next_line(fd), want[i]);
	CHECK_STR(next_line(fd), "");
	close(fd);
}

TEST(a_target_that_cannot_take_a_line_counts_a_drop)
{
	struct log_target t = {.kind = LOG_TGT_DGRAM, .maxlen = 1024, .level = 7};
	struct sockaddr_un *un = (struct sockaddr_un *)&t.addr;
	un->sun_family = AF_UNIX;
	snprintf(un->sun_path, sizeof(un->sun_path), "/tmp/halyard-test-log-%d-none",
	         (int)getpid());
	t.addrlen = sizeof(*un);
	uint64_t before = atomic_load(&log_dropped);
	log_send(&t, 6, "tag", NULL, 0, "lost", 4);
	CHECK(atomic_load(&log_dropped) == before + 1);
}

TEST(batched_lines_wait_for_the_flush_and_keep_their_order)
{
	struct log_target a, b;
	int fa = udp_target(&a, LOG_FMT_RAW), fb = udp_target(&b, LOG_FMT_RAW);
	int rcv = 1 << 20;
	setsockopt(fa, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	log_batching = 1; /* as inside a worker loop turn */
	log_send(&a, 6, "tag", NULL, 0, "a0", 2);
	log_send(&b, 6, "tag", NULL, 0, "b0", 2);
	log_send(&a, 6, "tag", NULL, 0, "a1", 2);
	CHECK_STR(next_line(fa), ""); /* queued until the end of the turn */
	CHECK_STR(next_line(fb), "");
	log_flush_thread();
	CHECK_STR(next_line(fa), "a0\n");
	CHECK_STR(next_line(fa), "a1\n");
	CHECK_STR(next_line(fa), "");
	CHECK_STR(next_line(fb), "b0\n");

	/* 200 lines: full batches go at once, each line one datagram, in order */
	for (int i = 0; i < 200; i++) {
		char m[8];
		int n = snprintf(m, sizeof(m), "%d", i);
		log_send(&a, 6, "tag", NULL, 0, m, (size_t)n);
	}
	int early = 0;
	while (next_line(fa)[0])
		early++;
	CHECK_INT(early, 192); /* three batches of 64 were full */
	log_flush_thread();
	for (int i = 192; i < 200; i++) {
		char m[8];
		snprintf(m, sizeof(m), "%d\n", i);
		CHECK_STR(next_line(fa), m);
	}
	CHECK_STR(next_line(fa), "");

	/* lines a stopping thread still holds are sent */
	log_send(&a, 6, "tag", NULL, 0, "last", 4);
	log_batching = 0;
	log_free_thread();
	CHECK_STR(next_line(fa), "last\n");
	log_send(&a, 6, "tag", NULL, 0, "now", 3); /* outside a loop: at once */
	CHECK_STR(next_line(fa), "now\n");
	close(fa);
	close(fb);
}

TEST(a_batch_the_target_refuses_is_dropped_and_counted)
{
	struct log_target t = {.kind = LOG_TGT_DGRAM, .maxlen = 1024, .level = 7};
	struct sockaddr_un *un = (struct sockaddr_un *)&t.addr;
	un->sun_family = AF_UNIX;
	snprintf(un->sun_path, sizeof(un->sun_path), "/tmp/halyard-test-log-%d-none",
	         (int)getpid());
	t.addrlen = sizeof(*un);
	uint64_t before = atomic_load(&log_dropped);
	log_batching = 1;
	for (int i = 0; i < 10; i++)
		log_send(&t, 6, "tag", NULL, 0, "lost", 4);
	CHECK(atomic_load(&log_dropped) == before);
	log_flush_thread();
	CHECK(atomic_load(&log_dropped) == before + 10);
	log_batching = 0;
	log_free_thread();
}

/* Renders a log-mode format without a stream. */
static const char *render_log(const char *text)
{
	static char out[256];
	char *err = NULL;
	struct smp_where w = {SMP_CK_CFG, "t.cfg", 1, NULL};
	struct logfmt *f = logfmt_parse_log(text, &w, &err);
	if (!f) {
		snprintf(out, sizeof(out), "<error: %s>", err);
		free(err);
		return out;
	}
	struct smp_ctx ctx = {0};
	size_t n = logfmt_render(f, &ctx, out, sizeof(out) - 1);
	out[n] = 0;
	logfmt_free(f);
	return out;
}

TEST(log_formats_merge_separators)
{
	CHECK_STR(render_log("a   b"), "a b");
	CHECK_STR(render_log("  a b  "), "a b ");
	/* an empty value leaves no double space */
	CHECK_STR(render_log("a %[str(),lower] b"), "a b");
	CHECK_STR(render_log("a %[str(x)] b"), "a x b");
	/* a missing value is still shown */
	CHECK_STR(render_log("a %[env(HALYARD_NO_SUCH)] b"), "a - b");
	/* control characters never reach a log line raw */
	CHECK_STR(render_log("v=%[str(a),url_dec] %[str(x%0d%0Ay%09z),url_dec]"),
	          "v=a x#0D#0Ay\tz");
	/* variables without a stream have no value */
	CHECK_STR(render_log("%ci:%cp %{+Q}r"), "-:- \"\"");
	/* outside logs, spaces are text */
	char *err = NULL;
	struct smp_where w = {SMP_CK_CFG, "t.cfg", 1, NULL};
	struct logfmt *f = logfmt_parse("a   b", &w, &err);
	char out[16];
	struct smp_ctx ctx = {0};
	CHECK_INT(logfmt_render(f, &ctx, out, sizeof(out)), 5);
	logfmt_free(f);
}

static const char *part(struct syslog_span s)
{
	static char buf[8][128];
	static int i;
	char *b = buf[i++ % 8];
	snprintf(b, 128, "%.*s", (int)s.n, s.p ? s.p : "");
	return b;
}

TEST(syslog_messages_are_cut_into_their_parts)
{
	struct syslog_msg m;
	syslog_parse("<134>Dec  6 03:20:00 myhost app[12]: hello there\n", 49, &m);
	CHECK_INT(m.pri, 134);
	CHECK_INT(m.kind, 3164);
	CHECK_STR(part(m.ts), "Dec  6 03:20:00");
	CHECK_STR(part(m.host), "myhost");
	CHECK_STR(part(m.app), "app");
	CHECK_STR(part(m.pid), "12");
	CHECK_STR(part(m.msg), "hello there");

	const char *v5 = "<131>1 2026-12-06T03:20:00Z h a 7 ID [x@1 k=\"v\\]\"][y@2] m s";
	syslog_parse(v5, strlen(v5), &m);
	CHECK_INT(m.kind, 5424);
	CHECK_STR(part(m.ts), "2026-12-06T03:20:00Z");
	CHECK_STR(part(m.sd), "[x@1 k=\"v\\]\"][y@2]");
	CHECK_STR(part(m.msg), "m s");

	syslog_parse("<13>Dec  6 03:20:00 app: no host", 32, &m);
	CHECK_STR(part(m.host), "");
	CHECK_STR(part(m.app), "app");
	CHECK_STR(part(m.msg), "no host");

	/* no PRI, a bad PRI, a truncated one: all message */
	const char *bad[] = {"plain", "<999>x", "<13", "<>x", ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		syslog_parse(bad[i], strlen(bad[i]), &m);
		CHECK_INT(m.pri, -1);
		CHECK_STR(part(m.msg), bad[i]);
	}
}

TEST(syslog_messages_are_rewritten_per_target_format)
{
	struct syslog_msg m;
	char hdr[4096];
	struct syslog_span body;
	const char *in = "<134>Dec  6 03:20:00 myhost app[12]: hello";
	syslog_parse(in, strlen(in), &m);
	struct log_target t = {
	    .format = LOG_FMT_RFC5424, .format_set = 1, .level = 7, .maxlen = 1024, .facility = 16};
	long n = syslog_rewrite(&t, &m, hdr, &body);
	hdr[n] = 0;
	CHECK(matches(hdr, "^<134>1 [0-9]{4}-12-06T03:20:00-00:00 myhost app 12 - - $"));
	CHECK_STR(part(body), "hello");
	t.format = LOG_FMT_SHORT;
	n = syslog_rewrite(&t, &m, hdr, &body);
	hdr[n] = 0;
	CHECK_STR(hdr, "<6>");
	t.format_set = 0; /* no format: unchanged */
	CHECK_INT(syslog_rewrite(&t, &m, hdr, &body), 0);
	CHECK_STR(part(body), in);
	t.level = 4; /* warning and more severe only */
	CHECK_INT(syslog_rewrite(&t, &m, hdr, &body), -1);
}

/* fmt_i64() writes what printf("%lld") writes, for the edges and a sweep. */
TEST(fmt_i64_matches_printf)
{
	static const long long edges[] = {0, 9, 10, 99, 100, 101, 999, 1000, -1, -9, -10, -100,
	                                  65535, 4294967296LL, LLONG_MAX, LLONG_MIN};
	char mine[32], ref[32];
	int same = 1;
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
		int n = fmt_i64(mine, edges[i]);
		mine[n] = 0;
		snprintf(ref, sizeof(ref), "%lld", edges[i]);
		if (strcmp(mine, ref))
			fprintf(stderr, "fmt_i64(%s) gave %s\n", ref, mine);
		same &= !strcmp(mine, ref);
	}
	for (long long v = -100000; v <= 100000 && same; v += 7) {
		int n = fmt_i64(mine, v * 997);
		mine[n] = 0;
		snprintf(ref, sizeof(ref), "%lld", v * 997);
		same = !strcmp(mine, ref);
	}
	CHECK(same);
}

TEST_MAIN()

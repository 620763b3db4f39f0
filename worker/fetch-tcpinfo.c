/* Fetches of the kernel's view of the client TCP connection (TCP_INFO):
 * fc_rtt and fc_rttvar (milliseconds by default, or microseconds with
 * "us"), fc_unacked, fc_sacked, fc_retrans, fc_fackets, fc_lost and
 * fc_reordering. A connection that is not TCP (a unix socket) gives no
 * sample.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include "common/mem.h"
#include "common/sample.h"
#include "worker/stream.h"

/* Reads TCP_INFO of the client connection of <smp>'s stream into <ti>.
 * Returns 0 when there is no stream or the socket is not TCP.
 */
static int client_tcp_info(const struct sample *smp, struct tcp_info *ti)
{
	struct stream *s = smp->ctx ? smp->ctx->strm : NULL;
	if (!s || s->cli.fd < 0)
		return 0;
	socklen_t len = sizeof(*ti);
	memset(ti, 0, sizeof(*ti));
	return getsockopt(s->cli.fd, IPPROTO_TCP, TCP_INFO, ti, &len) == 0;
}

/* The optional unit of fc_rtt/fc_rttvar: "ms" (default) or "us". */
static int val_time_unit(struct arg *args, char **err)
{
	if (args[0].type != ARGT_STR)
		return 1;
	const char *u = args[0].data.str.ptr;
	if (strcmp(u, "ms") == 0 || strcmp(u, "us") == 0)
		return 1;
	memprintf(err, "expects 'us' or 'ms', got '%s'", u);
	return 0;
}

/* fc_rtt([unit]), fc_rttvar([unit]): the smoothed round trip time and its
 * variation (the kernel keeps them in microseconds).
 */
static int fetch_rtt(const struct arg *args, struct sample *smp, const char *kw, const void *priv)
{
	struct tcp_info ti;
	if (!client_tcp_info(smp, &ti))
		return 0;
	uint32_t us = strcmp(kw, "fc_rttvar") == 0 ? ti.tcpi_rttvar : ti.tcpi_rtt;
	int in_us = args[0].type == ARGT_STR && strcmp(args[0].data.str.ptr, "us") == 0;
	smp->type = SMP_T_SINT;
	smp->u.sint = in_us ? (int64_t)us : (int64_t)(us / 1000);
	return 1;
}

/* A counter of struct tcp_info, <priv> being its offset. */
static int fetch_tcp_counter(const struct arg *args, struct sample *smp, const char *kw,
                             const void *priv)
{
	struct tcp_info ti;
	if (!client_tcp_info(smp, &ti))
		return 0;
	uint32_t v;
	memcpy(&v, (const char *)&ti + (size_t)(uintptr_t)priv, sizeof(v));
	smp->type = SMP_T_SINT;
	smp->u.sint = (int64_t)v;
	return 1;
}

#define L4 SMP_USE_L4CLI
#define TI(field) ((const void *)(uintptr_t)offsetof(struct tcp_info, field))
static const struct smp_fetch_kw tcpinfo_fetches[] = {
    {"fc_rtt", fetch_rtt, ARGS(0, ARGT_STR), val_time_unit, SMP_T_SINT, L4, NULL},
    {"fc_rttvar", fetch_rtt, ARGS(0, ARGT_STR), val_time_unit, SMP_T_SINT, L4, NULL},
    {"fc_unacked", fetch_tcp_counter, ARGS0, NULL, SMP_T_SINT, L4, TI(tcpi_unacked)},
    {"fc_sacked", fetch_tcp_counter, ARGS0, NULL, SMP_T_SINT, L4, TI(tcpi_sacked)},
    {"fc_retrans", fetch_tcp_counter, ARGS0, NULL, SMP_T_SINT, L4, TI(tcpi_retrans)},
    {"fc_fackets", fetch_tcp_counter, ARGS0, NULL, SMP_T_SINT, L4, TI(tcpi_fackets)},
    {"fc_lost", fetch_tcp_counter, ARGS0, NULL, SMP_T_SINT, L4, TI(tcpi_lost)},
    {"fc_reordering", fetch_tcp_counter, ARGS0, NULL, SMP_T_SINT, L4, TI(tcpi_reordering)},
};

SMP_REGISTER_FETCHES(tcpinfo_fetches)

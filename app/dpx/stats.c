/* SPDX-License-Identifier: BSD-3-Clause */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_telemetry.h>

#include "dpx_cache.h"
#include "dpx_dns.h"
#include "dpx_proxy.h"
#include "dpx_tcp.h"
#include "dpx_udp.h"
#include "stats.h"

/* Telemetry callbacks take no user pointer: the registered source. */
static const struct dpx_stats_src *stats_src;

static void
stats_add(struct dpx_port_stats *sum, const struct dpx_port_stats *s)
{
	const uint64_t *a = (const uint64_t *)s;
	uint64_t *t = (uint64_t *)sum;

	/* The struct holds only uint64_t counters. */
	for (size_t i = 0; i < sizeof(*s) / sizeof(uint64_t); i++)
		t[i] += a[i];
}

static void
stats_sum(const struct dpx_stats_src *src, int worker,
	  struct dpx_port_stats *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (unsigned int w = 0; w < src->n_workers; w++) {
		if (worker >= 0 && (unsigned int)worker != w)
			continue;
		for (unsigned int p = 0; p < src->net->n_ports; p++)
			stats_add(sum, dpx_net_worker_stats(src->workers[w], p));
	}
}

static void
stats_to_dict(struct rte_tel_data *d, const struct dpx_port_stats *s)
{
	char key[64];

	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "rx_packets", s->rx_packets);
	rte_tel_data_add_dict_u64(d, "rx_bytes", s->rx_bytes);
	rte_tel_data_add_dict_u64(d, "tx_packets", s->tx_packets);
	rte_tel_data_add_dict_u64(d, "tx_bytes", s->tx_bytes);
	rte_tel_data_add_dict_u64(d, "arp_requests_sent", s->arp_requests_sent);
	rte_tel_data_add_dict_u64(d, "arp_replies_sent", s->arp_replies_sent);
	rte_tel_data_add_dict_u64(d, "arp_evicted", s->arp_evicted);
	rte_tel_data_add_dict_u64(d, "icmp_echo_replies", s->icmp_echo_replies);
	rte_tel_data_add_dict_u64(d, "icmp_unreachables_sent",
				  s->icmp_unreachables_sent);
	rte_tel_data_add_dict_u64(d, "fault_duplicated", s->fault_duplicated);
	rte_tel_data_add_dict_u64(d, "fault_reordered", s->fault_reordered);
	rte_tel_data_add_dict_u64(d, "fault_delayed", s->fault_delayed);
	rte_tel_data_add_dict_u64(d, "dispatched_out", s->dispatched_out);
	rte_tel_data_add_dict_u64(d, "dispatched_in", s->dispatched_in);
	rte_tel_data_add_dict_u64(d, "dispatched_out_udp",
				  s->dispatched_out_udp);
	for (int i = 0; i < DPX_DROP_MAX; i++) {
		snprintf(key, sizeof(key), "drop_%s", dpx_drop_names[i]);
		rte_tel_data_add_dict_u64(d, key, s->drops[i]);
	}
}

static int
tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct dpx_port_stats sum;

	(void)cmd;
	(void)params;
	stats_sum(stats_src, -1, &sum);
	stats_to_dict(d, &sum);
	return 0;
}

/* A telemetry parameter naming a worker: its index, -1 when absent, or
 * -2 when it is not a valid worker index. */
static long
worker_param(const char *params)
{
	char *end;
	long w;

	if (params == NULL || *params == '\0')
		return -1;
	w = strtol(params, &end, 10);
	if (*end != '\0' || w < 0 || w >= (long)stats_src->n_workers)
		return -2;
	return w;
}

static const char *
tel_key(char *key, size_t len, const char *prefix, const char *name)
{
	if (prefix == NULL)
		return name;
	snprintf(key, len, "%s%s", prefix, name);
	return key;
}

static uint64_t
tel_value(const void *s, const struct tel_field *f)
{
	return *(const uint64_t *)((const char *)s + f->off);
}

unsigned int
tel_sum_fields(struct rte_tel_data *d, const char *prefix,
	       const struct dpx_stats_src *src, long only,
	       const struct tel_counters *tc, const void *ctx)
{
	uint64_t scratch[TEL_SCRATCH / sizeof(uint64_t)];
	unsigned int found = 0;
	char key[64];

	for (size_t f = 0; f < tc->n_fields; f++) {
		uint64_t sum = 0;

		found = 0;
		for (unsigned int w = 0; w < src->n_workers; w++) {
			const void *s;

			if (only >= 0 && (long)w != only)
				continue;
			s = tc->get(src->workers[w], ctx, scratch);
			if (s == NULL)
				continue;
			found++;
			sum += tel_value(s, &tc->fields[f]);
		}
		rte_tel_data_add_dict_u64(d, tel_key(key, sizeof(key), prefix,
						     tc->fields[f].name), sum);
	}
	return found;
}

void
tel_add_fields(struct rte_tel_data *d, const char *prefix,
	       const struct tel_field *fields, size_t n, const void *s)
{
	char key[64];

	for (size_t f = 0; f < n; f++)
		rte_tel_data_add_dict_u64(d, tel_key(key, sizeof(key), prefix,
						     fields[f].name),
					  tel_value(s, &fields[f]));
}

/* A pool's server (pool_stats), or a listener's egress address. */
struct tel_pick {
	unsigned int owner;
	unsigned int index;
};

/* The tel_counters_fn fn of a module whose accessor gives a worker's
 * struct (NULL: none)... */
#define TEL_COUNTERS_OF(fn, accessor)					\
	static const void *						\
	fn(const struct dpx_worker *w, const void *ctx, void *scratch)	\
	{								\
		(void)ctx;						\
		(void)scratch;						\
		return accessor(w);					\
	}
/* ... and of one whose accessor takes a struct tel_pick's numbers. */
#define TEL_PICKED_COUNTERS_OF(fn, accessor)				\
	static const void *						\
	fn(const struct dpx_worker *w, const void *ctx, void *scratch)	\
	{								\
		const struct tel_pick *pick = ctx;			\
									\
		(void)scratch;						\
		return accessor(w, pick->owner, pick->index);		\
	}

static int
tel_worker_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct dpx_port_stats sum;
	long w = worker_param(params);

	(void)cmd;
	if (w < 0)                      /* a worker is required here */
		return -1;
	stats_sum(stats_src, (int)w, &sum);
	stats_to_dict(d, &sum);
	return 0;
}

#define TCP_STAT(name) TEL_FIELD(struct dpx_tcp_stats, name)
static const struct tel_field tcp_stat_fields[] = {
	TCP_STAT(segs_in), TCP_STAT(segs_out), TCP_STAT(retransmits),
	TCP_STAT(fast_retransmits), TCP_STAT(rto_expired),
	TCP_STAT(tail_loss_probes), TCP_STAT(ooo_segs),
	TCP_STAT(dup_segs), TCP_STAT(challenge_acks), TCP_STAT(rst_sent),
	TCP_STAT(rst_received), TCP_STAT(accepted), TCP_STAT(connected),
	TCP_STAT(connect_failed), TCP_STAT(keepalive_probes),
	TCP_STAT(time_wait_recycled), TCP_STAT(syn_cookies_sent),
	TCP_STAT(syn_cookies_ok), TCP_STAT(drop_checksum),
	TCP_STAT(drop_malformed), TCP_STAT(drop_no_listener),
	TCP_STAT(drop_backlog), TCP_STAT(drop_no_tcb),
	TCP_STAT(drop_out_of_window), TCP_STAT(drop_paws),
	TCP_STAT(drop_ooo_full), TCP_STAT(drop_no_mbuf),
	TCP_STAT(conns_active), TCP_STAT(conns_syn_rcvd),
	TCP_STAT(conns_time_wait),
};

static const void *
tcp_counters_of(const struct dpx_worker *w, const void *ctx, void *scratch)
{
	(void)ctx;
	(void)scratch;
	return w->tcp == NULL ? NULL : dpx_tcp_worker_stats(w);
}

static const struct tel_counters tcp_counters =
	TEL_COUNTERS(tcp_stat_fields, tcp_counters_of);

/* /dpx/tcp_stats[,worker]: TCP counters, summed unless a worker is named. */
static int
tel_tcp_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	long only = worker_param(params); /* -1: all workers */

	(void)cmd;
	if (only == -2)
		return -1;
	rte_tel_data_start_dict(d);
	tel_sum_fields(d, NULL, stats_src, only, &tcp_counters, NULL);
	return 0;
}

#define UDP_STAT(name) TEL_FIELD(struct dpx_udp_stats, name)
static const struct tel_field udp_stat_fields[] = {
	UDP_STAT(in), UDP_STAT(out), UDP_STAT(bad_checksum),
	UDP_STAT(bad_length), UDP_STAT(no_port), UDP_STAT(unreach_sent),
	UDP_STAT(unreach_limited), UDP_STAT(dispatched),
	UDP_STAT(send_errors),
};

/* lib/udp adds lib/net's dispatched count: its counters come as a copy. */
static const void *
udp_counters_of(const struct dpx_worker *w, const void *ctx, void *scratch)
{
	RTE_BUILD_BUG_ON(sizeof(struct dpx_udp_stats) > TEL_SCRATCH);
	(void)ctx;
	dpx_udp_worker_stats(w, scratch);
	return scratch;
}

static const struct tel_counters udp_counters =
	TEL_COUNTERS(udp_stat_fields, udp_counters_of);

/* /dpx/udp_stats[,worker]: UDP counters, summed unless a worker is named. */
static int
tel_udp_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	long only = worker_param(params); /* -1: all workers */

	(void)cmd;
	if (only == -2)
		return -1;
	rte_tel_data_start_dict(d);
	tel_sum_fields(d, NULL, stats_src, only, &udp_counters, NULL);
	return 0;
}

#define PROXY_STAT(name) TEL_FIELD(struct dpx_proxy_stats, name)
static const struct tel_field proxy_stat_fields[] = {
	PROXY_STAT(sessions), PROXY_STAT(sessions_active),
	PROXY_STAT(requests), PROXY_STAT(responses), PROXY_STAT(errors_4xx),
	PROXY_STAT(errors_5xx), PROXY_STAT(server_connects),
	PROXY_STAT(server_connect_failed), PROXY_STAT(server_reused),
	PROXY_STAT(retries), PROXY_STAT(queued), PROXY_STAT(queue_timeouts),
	PROXY_STAT(no_server), PROXY_STAT(timeouts_client),
	PROXY_STAT(timeouts_server), PROXY_STAT(limit_rejected),
	PROXY_STAT(bytes_in), PROXY_STAT(bytes_out), PROXY_STAT(probes),
	PROXY_STAT(probes_failed), PROXY_STAT(truncated),
	PROXY_STAT(events_dropped),
	PROXY_STAT(no_memory), PROXY_STAT(sni_routed), PROXY_STAT(sni_default),
	PROXY_STAT(sni_no_route), PROXY_STAT(sni_bad_hello),
	PROXY_STAT(compressed), PROXY_STAT(compress_skipped),
	PROXY_STAT(compress_busy), PROXY_STAT(compress_errors),
	PROXY_STAT(compress_bytes_in), PROXY_STAT(compress_bytes_out),
	PROXY_STAT(fwd_requests), PROXY_STAT(fwd_reused),
	PROXY_STAT(fwd_tunnels), PROXY_STAT(fwd_tunnels_active),
	PROXY_STAT(fwd_tunnel_bytes), PROXY_STAT(fwd_tunnel_timeouts),
	PROXY_STAT(fwd_denied_target), PROXY_STAT(fwd_denied_userinfo),
	PROXY_STAT(fwd_denied_host), PROXY_STAT(fwd_denied_connect_port),
	PROXY_STAT(fwd_denied_connect_body), PROXY_STAT(fwd_denied_loop),
	PROXY_STAT(fwd_unresolved), PROXY_STAT(fwd_egress_off_route),
};

TEL_COUNTERS_OF(proxy_counters_of, dpx_proxy_worker_stats)

static const struct tel_counters proxy_counters =
	TEL_COUNTERS(proxy_stat_fields, proxy_counters_of);

/* /dpx/proxy_stats[,worker]: proxy counters, summed over workers. */
static int
tel_proxy_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	long only = worker_param(params);

	(void)cmd;
	if (only == -2 || stats_src->proxy == NULL)
		return -1;
	rte_tel_data_start_dict(d);
	tel_sum_fields(d, NULL, stats_src, only, &proxy_counters, NULL);
	return 0;
}

#define DNS_STAT(name) TEL_FIELD(struct dpx_dns_stats, name)
static const struct tel_field dns_stat_fields[] = {
	DNS_STAT(lookups), DNS_STAT(cache_hits), DNS_STAT(negative_hits),
	DNS_STAT(cache_misses), DNS_STAT(hosts_hits), DNS_STAT(literals),
	DNS_STAT(coalesced), DNS_STAT(queries), DNS_STAT(retries),
	DNS_STAT(answers), DNS_STAT(timeouts), DNS_STAT(no_answer),
	DNS_STAT(servfail), DNS_STAT(nxdomain), DNS_STAT(nodata),
	DNS_STAT(unmatched), DNS_STAT(send_errors), DNS_STAT(over_limit),
	DNS_STAT(bad_names), DNS_STAT(evictions),
};

TEL_COUNTERS_OF(dns_counters_of, dpx_proxy_worker_dns_stats)

static const struct tel_counters dns_counters =
	TEL_COUNTERS(dns_stat_fields, dns_counters_of);

/* The answers the parser refused, one counter per reason: "refused_"
 * and the reason's name ("refused_malformed"). */
static void
dns_bad_answers(struct rte_tel_data *d, long only)
{
	for (int p = DPX_DNS_PARSE_BAD_ID; p < DPX_DNS_PARSE_COUNT; p++) {
		char key[64];
		uint64_t sum = 0;

		for (unsigned int w = 0; w < stats_src->n_workers; w++) {
			const struct dpx_dns_stats *ds =
				dpx_proxy_worker_dns_stats(stats_src->workers[w]);

			if ((only < 0 || (long)w == only) && ds != NULL)
				sum += ds->bad_answers[p];
		}
		snprintf(key, sizeof(key), "refused_%s", dpx_dns_parse_name(p));
		rte_tel_data_add_dict_u64(d, key, sum);
	}
}

/* /dpx/dns_stats[,worker]: the forward proxy's resolvers, summed over
 * workers; an error when no worker has one. */
static int
tel_dns_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	long only = worker_param(params);
	uint64_t pending = 0;

	(void)cmd;
	if (only == -2)
		return -1;
	/* Telemetry drops what an error answer added. */
	rte_tel_data_start_dict(d);
	if (tel_sum_fields(d, NULL, stats_src, only, &dns_counters, NULL) == 0)
		return -1;
	dns_bad_answers(d, only);
	for (unsigned int w = 0; w < stats_src->n_workers; w++) {
		const struct dpx_dns_stats *ds =
			dpx_proxy_worker_dns_stats(stats_src->workers[w]);

		if ((only < 0 || (long)w == only) && ds != NULL)
			pending += ds->pending;
	}
	rte_tel_data_add_dict_u64(d, "pending", pending);
	return 0;
}

#define TLS_STAT(name) TEL_FIELD(struct dpx_tls_stats, name)
static const struct tel_field tls_stat_fields[] = {
	TLS_STAT(handshakes), TLS_STAT(resumed), TLS_STAT(handshake_failed),
	TLS_STAT(handshake_timeouts), TLS_STAT(handshakes_refused),
	TLS_STAT(sni_missing), TLS_STAT(sni_unknown), TLS_STAT(sni_refused),
	TLS_STAT(version_refused), TLS_STAT(downgrade_refused),
	TLS_STAT(renegotiation_refused),
	TLS_STAT(tls12), TLS_STAT(tls13), TLS_STAT(alerts_received),
	TLS_STAT(close_notify_sent), TLS_STAT(close_notify_received),
	TLS_STAT(ocsp_stapled), TLS_STAT(client_cert_verified),
	TLS_STAT(client_cert_missing), TLS_STAT(client_cert_failed),
	TLS_STAT(no_memory), TLS_STAT(verify_failed),
	TLS_STAT(reloads_adopted),
};

TEL_COUNTERS_OF(tls_counters_of, dpx_proxy_worker_tls_stats)

TEL_COUNTERS_OF(tls_origin_counters_of, dpx_proxy_worker_tls_origin_stats)

static const struct tel_counters tls_counters =
	TEL_COUNTERS(tls_stat_fields, tls_counters_of);
static const struct tel_counters tls_origin_counters =
	TEL_COUNTERS(tls_stat_fields, tls_origin_counters_of);

/* The process's reload counts (not per worker). */
static void
tls_reload_counts(struct rte_tel_data *d)
{
	uint64_t ok = 0, failed = 0;

	if (stats_src->proxy != NULL)
		dpx_proxy_tls_reload_counts(stats_src->proxy, &ok, &failed);
	rte_tel_data_add_dict_u64(d, "tls_reloads", ok);
	rte_tel_data_add_dict_u64(d, "tls_reload_failures", failed);
}

static uint64_t
reloads_done(void)
{
	uint64_t ok = 0, failed = 0;

	if (stats_src->proxy != NULL)
		dpx_proxy_tls_reload_counts(stats_src->proxy, &ok, &failed);
	return ok;
}

/* /dpx/tls_stats[,worker]: TLS counters of the listeners, summed;
 * /dpx/tls_origin_stats[,worker]: of connections to "tls" pools. */
static int
tel_tls_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	long only = worker_param(params);
	bool origin = strcmp(cmd, "/dpx/tls_origin_stats") == 0;

	if (only == -2 || stats_src->proxy == NULL)
		return -1;
	rte_tel_data_start_dict(d);
	tel_sum_fields(d, NULL, stats_src, only,
		       origin ? &tls_origin_counters : &tls_counters, NULL);
	if (!origin)
		tls_reload_counts(d);
	return 0;
}

#define RELOAD_WAIT_MS 3000

void
dpx_reload_serve(struct dpx_reload_req *r, struct dpx_proxy_shared *sh)
{
	unsigned int asked = atomic_load_explicit(&r->asked,
						  memory_order_acquire);

	if (asked == atomic_load_explicit(&r->done, memory_order_relaxed))
		return;
	r->listeners = 0;
	r->err[0] = '\0';
	if (sh == NULL) {
		snprintf(r->err, sizeof(r->err), "no TLS listener to reload");
		r->rc = -1;
	} else {
		r->rc = dpx_proxy_tls_reload(sh, &r->listeners, r->err,
					     sizeof(r->err));
	}
	atomic_store_explicit(&r->done, asked, memory_order_release);
}

/* Posts a reload and waits for the main loop; -2: it did not answer in
 * time (the reload still runs, and is logged). */
static int
reload_ask(struct dpx_reload_req *r, char *err, size_t errlen,
	   unsigned int *listeners)
{
	struct timespec ms = { 0, 1000 * 1000 };
	unsigned int me;
	int rc = -2;

	pthread_mutex_lock(&r->lock);
	me = atomic_fetch_add_explicit(&r->asked, 1,
				       memory_order_acq_rel) + 1;
	for (int i = 0; i < RELOAD_WAIT_MS; i++) {
		if (atomic_load_explicit(&r->done, memory_order_acquire) ==
		    me) {
			rc = r->rc;
			*listeners = r->listeners;
			snprintf(err, errlen, "%s", r->err);
			break;
		}
		nanosleep(&ms, NULL);
	}
	pthread_mutex_unlock(&r->lock);
	return rc;
}

/* Telemetry strings hold 127 bytes: files are named by their base name
 * in the reply (the log has the whole path). */
static void
short_paths(const char *in, char *out, size_t size)
{
	size_t n = 0;

	while (*in != '\0' && n + 1 < size) {
		if (*in == '/' && (n == 0 || out[n - 1] == ' ')) {
			const char *end = in + strcspn(in, " :");
			const char *base = in;

			for (const char *p = in; p < end; p++)
				if (*p == '/')
					base = p + 1;
			in = base;
			continue;
		}
		out[n++] = *in++;
	}
	out[n] = '\0';
}

/* /dpx/tls_reload: certificates, keys and OCSP responses read again. */
static int
tel_tls_reload(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char err[1024], brief[RTE_TEL_MAX_STRING_LEN];
	unsigned int listeners = 0;
	int rc;

	(void)cmd;
	(void)params;
	rc = reload_ask(stats_src->reload, err, sizeof(err), &listeners);
	rte_tel_data_start_dict(d);
	if (rc == 0) {
		rte_tel_data_add_dict_string(d, "status", "ok");
		rte_tel_data_add_dict_u64(d, "listeners", listeners);
		rte_tel_data_add_dict_u64(d, "reloads", reloads_done());
		return 0;
	}
	if (rc == -2)
		snprintf(err, sizeof(err), "the control plane did not answer "
			 "within %d ms", RELOAD_WAIT_MS);
	short_paths(err, brief, sizeof(brief));
	rte_tel_data_add_dict_string(d, "status", "error");
	rte_tel_data_add_dict_string(d, "error", brief);
	return 0;
}

/* /dpx/runtime[,worker]: where the workers' TSC cycles went, by stage
 * (VPP's "show runtime"), summed unless a worker is named. busy_cycles is
 * the sum of the stages: divided by the requests completed over the same
 * interval it is the cost of a request. */
static int
tel_runtime(const char *cmd, const char *params, struct rte_tel_data *d)
{
	long only = worker_param(params);
	struct dpx_runtime sum;
	uint64_t busy = 0;
	char key[32];

	(void)cmd;
	if (only == -2)
		return -1;
	memset(&sum, 0, sizeof(sum));
	for (unsigned int w = 0; w < stats_src->n_workers; w++) {
		const struct dpx_runtime *rt = &stats_src->workers[w]->rt;

		if (only >= 0 && (long)w != only)
			continue;
		for (int s = 0; s < DPX_STAGE_MAX; s++)
			sum.cycles[s] += rt->cycles[s];
		sum.idle_cycles += rt->idle_cycles;
		sum.loops += rt->loops;
		sum.busy_loops += rt->busy_loops;
		sum.rx_packets += rt->rx_packets;
		sum.rx_bursts += rt->rx_bursts;
		sum.sleeps += rt->sleeps;
		sum.wakeups_rx += rt->wakeups_rx;
	}
	for (int s = 0; s < DPX_STAGE_MAX; s++)
		busy += sum.cycles[s];
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "tsc_hz", rte_get_tsc_hz());
	rte_tel_data_add_dict_u64(d, "workers", only >= 0 ? 1 :
				  stats_src->n_workers);
	rte_tel_data_add_dict_u64(d, "busy_cycles", busy);
	rte_tel_data_add_dict_u64(d, "idle_cycles", sum.idle_cycles);
	for (int s = 0; s < DPX_STAGE_MAX; s++) {
		snprintf(key, sizeof(key), "%s_cycles", dpx_stage_names[s]);
		rte_tel_data_add_dict_u64(d, key, sum.cycles[s]);
	}
	rte_tel_data_add_dict_u64(d, "loops", sum.loops);
	rte_tel_data_add_dict_u64(d, "busy_loops", sum.busy_loops);
	rte_tel_data_add_dict_u64(d, "rx_packets", sum.rx_packets);
	rte_tel_data_add_dict_u64(d, "rx_bursts", sum.rx_bursts);
	rte_tel_data_add_dict_u64(d, "sleeps", sum.sleeps);
	rte_tel_data_add_dict_u64(d, "wakeups_rx", sum.wakeups_rx);
	return 0;
}

#define CACHE_STAT(name) TEL_FIELD(struct dpx_proxy_cache_stats, name)
static const struct tel_field cache_stat_fields[] = {
	CACHE_STAT(lookups), CACHE_STAT(hits), CACHE_STAT(stale_served),
	CACHE_STAT(stale_if_error), CACHE_STAT(misses),
	CACHE_STAT(revalidated), CACHE_STAT(bypass),
	CACHE_STAT(not_modified), CACHE_STAT(ranges),
	CACHE_STAT(range_unsatisfiable), CACHE_STAT(gateway_timeout),
	CACHE_STAT(stored), CACHE_STAT(not_stored), CACHE_STAT(not_stored_body),
	CACHE_STAT(not_stored_too_big), CACHE_STAT(stored_chunked),
	CACHE_STAT(store_failed), CACHE_STAT(collapsed_waits),
	CACHE_STAT(collapsed_served), CACHE_STAT(collapsed_aborted),
	CACHE_STAT(invalidations), CACHE_STAT(purges), CACHE_STAT(purge_denied),
	CACHE_STAT(no_memory), CACHE_STAT(variant_hits),
	CACHE_STAT(variants_stored), CACHE_STAT(variant_refreshed),
	CACHE_STAT(variant_waits), CACHE_STAT(variant_no_gain),
	CACHE_STAT(variant_errors), CACHE_STAT(variant_bytes_in),
	CACHE_STAT(variant_bytes_out),
	CACHE_STAT(bg_refreshes),
	CACHE_STAT(bg_refresh_failed),
};

TEL_COUNTERS_OF(cache_counters_of, dpx_proxy_worker_cache_stats)

static const struct tel_counters cache_counters =
	TEL_COUNTERS(cache_stat_fields, cache_counters_of);

/* /dpx/cache_stats: the store's counters (store_*) and the workers'. */
static int
tel_cache_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct dpx_cache *c = dpx_proxy_cache(stats_src->proxy);
	struct dpx_cache_stats cs;

	(void)cmd;
	(void)params;
	if (c == NULL)
		return -1;
	dpx_cache_stats(c, &cs);
	rte_tel_data_start_dict(d);
	tel_sum_fields(d, NULL, stats_src, -1, &cache_counters, NULL);
	rte_tel_data_add_dict_u64(d, "store_hits", cs.hits);
	rte_tel_data_add_dict_u64(d, "store_misses", cs.misses);
	rte_tel_data_add_dict_u64(d, "store_stored", cs.stored);
	rte_tel_data_add_dict_u64(d, "evicted", cs.evicted);
	rte_tel_data_add_dict_u64(d, "purged", cs.purged);
	rte_tel_data_add_dict_u64(d, "bans", cs.bans);
	rte_tel_data_add_dict_u64(d, "collapsed", cs.collapsed);
	rte_tel_data_add_dict_u64(d, "fills_aborted", cs.fills_aborted);
	rte_tel_data_add_dict_u64(d, "objects", cs.objects);
	rte_tel_data_add_dict_u64(d, "keys", cs.keys);
	rte_tel_data_add_dict_u64(d, "bytes", cs.bytes);
	rte_tel_data_add_dict_u64(d, "mbufs_in_use", cs.mbufs_in_use);
	rte_tel_data_add_dict_u64(d, "fail_too_big",
				  cs.fail[DPX_CACHE_FAIL_TOO_BIG]);
	rte_tel_data_add_dict_u64(d, "fail_no_memory",
				  cs.fail[DPX_CACHE_FAIL_NOMEM]);
	rte_tel_data_add_dict_u64(d, "fail_busy", cs.fail[DPX_CACHE_FAIL_BUSY]);
	return 0;
}

/* /dpx/cache_purge,URL: every variant of "GET URL" goes. */
static int
tel_cache_purge(const char *cmd, const char *params, struct rte_tel_data *d)
{
	int n;

	(void)cmd;
	if (dpx_proxy_cache(stats_src->proxy) == NULL || params == NULL)
		return -1;
	n = dpx_proxy_cache_purge_url(stats_src->proxy, params);
	rte_tel_data_start_dict(d);
	if (n < 0) {
		rte_tel_data_add_dict_string(d, "status", "error");
		rte_tel_data_add_dict_string(d, "error", strerror(-n));
		return 0;
	}
	rte_tel_data_add_dict_string(d, "status", "ok");
	rte_tel_data_add_dict_u64(d, "purged", (uint64_t)n);
	return 0;
}

/* /dpx/cache_ban,HOST,PREFIX: what is stored under the prefix misses. */
static int
tel_cache_ban(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char host[256];
	const char *comma;
	int rc;

	(void)cmd;
	if (dpx_proxy_cache(stats_src->proxy) == NULL || params == NULL ||
	    (comma = strchr(params, ',')) == NULL ||
	    (size_t)(comma - params) >= sizeof(host) || comma[1] != '/')
		return -1;
	memcpy(host, params, (size_t)(comma - params));
	host[comma - params] = '\0';
	rc = dpx_proxy_cache_ban(stats_src->proxy, host, comma + 1);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "status", rc == 0 ? "ok" : "error");
	if (rc != 0)
		rte_tel_data_add_dict_string(d, "error", strerror(-rc));
	return 0;
}

#define SERVER_STAT(name) TEL_FIELD(struct dpx_proxy_server_stats, name)
static const struct tel_field server_stat_fields[] = {
	SERVER_STAT(requests), SERVER_STAT(failures), SERVER_STAT(active),
	SERVER_STAT(idle),
};

TEL_PICKED_COUNTERS_OF(server_counters_of, dpx_proxy_worker_server_stats)

static const struct tel_counters server_counters =
	TEL_COUNTERS(server_stat_fields, server_counters_of);

/* /dpx/pool_stats,NAME: per server "NAME.state" (up/down/ejected) and
 * requests, failures, active, idle summed over workers. */
static int
tel_pool_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct dpx_config *cfg = stats_src->workers[0]->cfg;
	const struct dpx_pool_conf *pc = NULL;
	unsigned int p;

	(void)cmd;
	if (stats_src->proxy == NULL || params == NULL)
		return -1;
	for (p = 0; p < cfg->n_pools; p++)
		if (strcmp(cfg->pools[p].name, params) == 0) {
			pc = &cfg->pools[p];
			break;
		}
	if (pc == NULL)
		return -1;
	rte_tel_data_start_dict(d);
	for (unsigned int s = 0; s < pc->n_servers; s++) {
		struct tel_pick pick = { p, s };
		char key[32];

		/* Telemetry keys allow only [A-Za-z0-9_-]: servers appear by
		 * index, with their configured name as a value. */
		snprintf(key, sizeof(key), "s%u_name", s);
		rte_tel_data_add_dict_string(d, key, pc->servers[s].name);
		snprintf(key, sizeof(key), "s%u_state", s);
		rte_tel_data_add_dict_string(d, key,
			dpx_proxy_server_state(stats_src->proxy, p, s));
		snprintf(key, sizeof(key), "s%u_", s);
		tel_sum_fields(d, key, stats_src, -1, &server_counters, &pick);
	}
	return 0;
}

#define EGRESS_STAT(name) TEL_FIELD(struct dpx_proxy_egress_stats, name)
static const struct tel_field egress_stat_fields[] = {
	EGRESS_STAT(connections), EGRESS_STAT(requests), EGRESS_STAT(bytes_in),
	EGRESS_STAT(bytes_out),
};

TEL_PICKED_COUNTERS_OF(egress_counters_of, dpx_proxy_worker_egress_stats)

static const struct tel_counters egress_counters =
	TEL_COUNTERS(egress_stat_fields, egress_counters_of);

/* Entry n: a listener's egress address, its counters summed over the
 * workers. */
static void
egress_add_entry(struct rte_tel_data *d, unsigned int n, const char *listener,
		 uint32_t addr, const struct tel_pick *pick)
{
	char key[32], ip[16];

	/* Keys allow only [A-Za-z0-9_-]: entries by index, the address and
	 * listener as values. */
	snprintf(key, sizeof(key), "e%u_address", n);
	rte_tel_data_add_dict_string(d, key, dpx_ipv4_str(addr, ip, sizeof(ip)));
	snprintf(key, sizeof(key), "e%u_listener", n);
	rte_tel_data_add_dict_string(d, key, listener);
	snprintf(key, sizeof(key), "e%u_", n);
	tel_sum_fields(d, key, stats_src, -1, &egress_counters, pick);
}

/* Every forward listener's egress addresses, in config order. */
static int
tel_egress_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct dpx_config *cfg = stats_src->workers[0]->cfg;
	unsigned int n = 0;

	(void)cmd;
	(void)params;
	if (stats_src->proxy == NULL)
		return -1;
	rte_tel_data_start_dict(d);
	for (unsigned int l = 0; l < cfg->n_listeners; l++) {
		const struct dpx_forward_conf *fc = cfg->listeners[l].forward;

		for (unsigned int a = 0; fc != NULL &&
		     a < fc->egress.n_addrs; a++) {
			struct tel_pick pick = { l, a };

			egress_add_entry(d, n++, cfg->listeners[l].name,
					 fc->egress.addrs[a], &pick);
		}
	}
	rte_tel_data_add_dict_u64(d, "entries", n);
	return 0;
}

int
dpx_stats_register(const struct dpx_stats_src *src)
{
	stats_src = src;
	if (rte_telemetry_register_cmd("/dpx/stats", tel_stats,
			"Counters summed over workers and ports.") != 0 ||
	    rte_telemetry_register_cmd("/dpx/worker_stats", tel_worker_stats,
			"Counters of one worker. Parameters: int worker") != 0 ||
	    rte_telemetry_register_cmd("/dpx/tcp_stats", tel_tcp_stats,
			"TCP counters, all workers or one. Parameters: [int worker]") != 0 ||
	    rte_telemetry_register_cmd("/dpx/udp_stats", tel_udp_stats,
			"UDP counters, all workers or one. Parameters: [int worker]") != 0 ||
	    rte_telemetry_register_cmd("/dpx/proxy_stats", tel_proxy_stats,
			"Proxy counters, all workers or one. Parameters: [int worker]") != 0 ||
	    rte_telemetry_register_cmd("/dpx/dns_stats", tel_dns_stats,
			"DNS resolver counters (forward proxy), all workers or one. Parameters: [int worker]") != 0 ||
	    rte_telemetry_register_cmd("/dpx/tls_stats", tel_tls_stats,
			"TLS counters, all workers or one. Parameters: [int worker]") != 0 ||
	    rte_telemetry_register_cmd("/dpx/tls_origin_stats", tel_tls_stats,
			"TLS counters of connections to servers, all workers or one. Parameters: [int worker]") != 0 ||
	    rte_telemetry_register_cmd("/dpx/tls_reload", tel_tls_reload,
			"Reads every TLS listener's certificate, key and OCSP files again; new handshakes use them. No parameters") != 0 ||
	    rte_telemetry_register_cmd("/dpx/cache_stats", tel_cache_stats,
			"HTTP cache counters (store and workers). No parameters") != 0 ||
	    rte_telemetry_register_cmd("/dpx/cache_purge", tel_cache_purge,
			"Removes a URL's cached variants. Parameters: string url") != 0 ||
	    rte_telemetry_register_cmd("/dpx/cache_ban", tel_cache_ban,
			"Bans a host's path prefix. Parameters: string host,/prefix") != 0 ||
	    rte_telemetry_register_cmd("/dpx/egress_stats", tel_egress_stats,
				       "Forward listeners' egress addresses: "
				       "connections, requests, bytes") != 0 ||
	    rte_telemetry_register_cmd("/dpx/pool_stats", tel_pool_stats,
			"Server states and counters of a pool. Parameters: string pool") != 0 ||
	    rte_telemetry_register_cmd("/dpx/runtime", tel_runtime,
			"TSC cycles per stage of the worker loop, all workers or one. Parameters: [int worker]") != 0) {
		DPX_WARN("telemetry commands not registered");
	}
	if (dpx_stats_auth_register(src) != 0)
		DPX_WARN("telemetry commands of auth not registered");
	return 0;
}

void
dpx_stats_log(const struct dpx_stats_src *src)
{
	struct dpx_port_stats s;

	for (unsigned int w = 0; w < src->n_workers; w++) {
		uint64_t drops = 0;

		stats_sum(src, (int)w, &s);
		for (int i = 0; i < DPX_DROP_MAX; i++)
			drops += s.drops[i];
		DPX_INFO("worker %u: rx %lu pkts %lu bytes, tx %lu pkts %lu "
			 "bytes, dropped %lu", w, s.rx_packets, s.rx_bytes,
			 s.tx_packets, s.tx_bytes, drops);
	}
}

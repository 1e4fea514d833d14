/* SPDX-License-Identifier: BSD-3-Clause */
/* The end-of-run report: human text or one JSON object, then always the
 * machine-readable line "LOAD key=value ...". */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "load.h"

/* Derived numbers both formats print. */
struct summary {
	double secs;
	double rps, cps, rx_mbps, gbps, busy_pct;
	double us_per_cycle;
	uint64_t errors;
	double lat_us[7];       /* min mean p50 p90 p99 p99.9 max */
};

static const char *const lat_names[7] = {
	"min", "mean", "p50", "p90", "p99", "p999", "max",
};

static double
per_s(uint64_t n, double secs)
{
	return secs > 0 ? (double)n / secs : 0;
}

static void
summarize(const struct load_stats *st, const struct load_run_info *ri,
	  struct summary *s)
{
	const struct load_hist *h = &st->latency;
	static const double q[5] = { 0.50, 0.90, 0.99, 0.999, 1.0 };

	s->secs = ri->tsc_hz && st->t_end > st->t_start ?
		  (double)(st->t_end - st->t_start) / (double)ri->tsc_hz : 0;
	s->rps = per_s(st->completed, s->secs);
	s->cps = per_s(st->conn_established, s->secs);
	s->rx_mbps = per_s(st->rx_bytes, s->secs) / 1e6;
	s->gbps = per_s(st->rx_bytes, s->secs) * 8 / 1e9;
	s->busy_pct = st->loop_cycles ?
		      100.0 * (double)st->busy_cycles / (double)st->loop_cycles : 0;
	s->us_per_cycle = ri->tsc_hz ? 1e6 / (double)ri->tsc_hz : 0;
	s->errors = 0;
	for (int e = 0; e < LOAD_E_MAX; e++)
		s->errors += st->errors[e];
	s->lat_us[0] = h->count ? (double)h->min * s->us_per_cycle : 0;
	s->lat_us[1] = h->count ? h->sum / (double)h->count * s->us_per_cycle : 0;
	for (int i = 0; i < 5; i++)
		s->lat_us[2 + i] = (double)load_hist_quantile(h, q[i]) *
				   s->us_per_cycle;
}

static const char *
mode_name(const struct load_opts *o)
{
	return o->rate > 0 ? "open" : "closed";
}

/* Latency distribution in power-of-two microsecond bins, for reading. */
static void
text_histogram(const struct load_hist *h, double us_per_cycle, FILE *out)
{
	uint64_t bins[64] = { 0 }, cum = 0;
	int first = 64, last = -1;

	for (unsigned int i = 0; i < LOAD_HIST_BUCKETS; i++) {
		double us;
		int b;

		if (h->buckets[i] == 0)
			continue;
		us = (double)load_hist_bucket_hi(i) * us_per_cycle;
		b = us <= 1 ? 0 : (int)ceil(log2(us));
		b = b > 63 ? 63 : b;
		bins[b] += h->buckets[i];
		first = b < first ? b : first;
		last = b > last ? b : last;
	}
	for (int b = first; b <= last; b++) {
		cum += bins[b];
		fprintf(out, "    <= %10.0f us %12" PRIu64 "  %6.2f%%\n",
			ldexp(1, b), bins[b], 100.0 * (double)cum / (double)h->count);
	}
}

static void
report_text(const struct load_opts *o, const struct load_stats *st,
	    const struct load_run_info *ri, const struct summary *s, FILE *out)
{
	char ip[16];

	fprintf(out, "dpx-load: %s:%u, %u connection(s), %s loop%s, %u "
		"request(s) per connection (0: no limit), %.2f s measured after "
		"%.1f s warm-up%s\n",
		dpx_ipv4_str(o->target_addr, ip, sizeof(ip)), o->target_port,
		o->connections, mode_name(o), o->rate > 0 ? " (rate set)" : "",
		o->reqs_per_conn, s->secs, o->warmup_s,
		ri->interrupted ? " (interrupted)" : "");
	fprintf(out, "  requests     %" PRIu64 " completed, %.1f req/s (%" PRIu64
		" sent)\n", st->completed, s->rps, st->sent);
	fprintf(out, "  connections  %" PRIu64 " established, %.1f conn/s (%"
		PRIu64 " attempts)\n", st->conn_established, s->cps,
		st->conn_attempts);
	fprintf(out, "  bytes        %.2f MB/s received (%.3f Gbit/s); completed "
		"responses %" PRIu64 " B, bodies %" PRIu64 " B\n", s->rx_mbps,
		s->gbps, st->rsp_bytes, st->body_bytes);
	fprintf(out, "  errors       %" PRIu64 ":", s->errors);
	for (int e = 0; e < LOAD_E_MAX; e++)
		fprintf(out, " %s %" PRIu64, load_err_names[e], st->errors[e]);
	fprintf(out, "\n  latency us  ");
	for (int i = 0; i < 7; i++)
		fprintf(out, " %s %.1f", lat_names[i], s->lat_us[i]);
	fprintf(out, "\n  generator    loop busy %.1f%% of its lcore; tcp "
		"retransmits %" PRIu64 ", rst sent %" PRIu64 " received %" PRIu64
		", net drops %" PRIu64 "\n", s->busy_pct, ri->tcp_retransmits,
		ri->tcp_rst_sent, ri->tcp_rst_received, ri->net_drops);
	if (st->latency.count > 0) {
		fprintf(out, "  latency histogram (completed requests):\n");
		text_histogram(&st->latency, s->us_per_cycle, out);
	}
}

static void
report_json(const struct load_opts *o, const struct load_stats *st,
	    const struct load_run_info *ri, const struct summary *s, FILE *out)
{
	const struct load_hist *h = &st->latency;
	char ip[16];
	bool first = true;

	fprintf(out, "{\"target\": \"%s:%u\", \"connections\": %u, \"mode\": "
		"\"%s\", \"rate\": %.1f, \"requests_per_conn\": %u, "
		"\"duration_s\": %.3f, \"interrupted\": %s, ",
		dpx_ipv4_str(o->target_addr, ip, sizeof(ip)), o->target_port,
		o->connections, mode_name(o), o->rate, o->reqs_per_conn,
		s->secs, ri->interrupted ? "true" : "false");
	fprintf(out, "\"completed\": %" PRIu64 ", \"sent\": %" PRIu64 ", "
		"\"rps\": %.1f, \"conns\": %" PRIu64 ", \"conn_attempts\": %"
		PRIu64 ", \"cps\": %.1f, \"rsp_bytes\": %" PRIu64 ", "
		"\"body_bytes\": %" PRIu64 ", \"rx_bytes\": %" PRIu64 ", "
		"\"rx_MBps\": %.3f, \"gbps\": %.4f, \"busy_pct\": %.1f, ",
		st->completed, st->sent, s->rps, st->conn_established,
		st->conn_attempts, s->cps, st->rsp_bytes, st->body_bytes,
		st->rx_bytes, s->rx_mbps, s->gbps, s->busy_pct);
	fprintf(out, "\"errors\": {\"total\": %" PRIu64, s->errors);
	for (int e = 0; e < LOAD_E_MAX; e++)
		fprintf(out, ", \"%s\": %" PRIu64, load_err_names[e],
			st->errors[e]);
	fprintf(out, "}, \"latency_us\": {");
	for (int i = 0; i < 7; i++)
		fprintf(out, "%s\"%s\": %.2f", i ? ", " : "", lat_names[i],
			s->lat_us[i]);
	fprintf(out, "}, \"histogram_us\": [");
	for (unsigned int i = 0; i < LOAD_HIST_BUCKETS; i++) {
		if (h->buckets[i] == 0)
			continue;
		fprintf(out, "%s[%.3f, %.3f, %" PRIu64 "]", first ? "" : ", ",
			(double)load_hist_bucket_lo(i) * s->us_per_cycle,
			(double)load_hist_bucket_hi(i) * s->us_per_cycle,
			h->buckets[i]);
		first = false;
	}
	fprintf(out, "], \"run\": {\"sent\": %" PRIu64 ", \"completed\": %"
		PRIu64 ", \"errors\": %" PRIu64 ", \"conn_attempts\": %" PRIu64
		", \"conns\": %" PRIu64 "}, \"tcp_retransmits\": %" PRIu64
		", \"net_drops\": %" PRIu64 "}\n", st->run.sent,
		st->run.completed, st->run.errors, st->run.conn_attempts,
		st->run.conn_established, ri->tcp_retransmits, ri->net_drops);
}

static void
report_line(const struct load_stats *st, const struct load_run_info *ri,
	    const struct summary *s, FILE *out)
{
	fprintf(out, "LOAD duration_s=%.3f completed=%" PRIu64 " rps=%.1f "
		"sent=%" PRIu64 " conns=%" PRIu64 " cps=%.1f rsp_bytes=%" PRIu64
		" body_bytes=%" PRIu64 " rx_bytes=%" PRIu64 " rx_MBps=%.3f "
		"gbps=%.4f errors=%" PRIu64, s->secs, st->completed, s->rps,
		st->sent, st->conn_established, s->cps, st->rsp_bytes,
		st->body_bytes, st->rx_bytes, s->rx_mbps, s->gbps, s->errors);
	for (int e = 0; e < LOAD_E_MAX; e++)
		fprintf(out, " err_%s=%" PRIu64, load_err_names[e],
			st->errors[e]);
	for (int i = 0; i < 7; i++)
		fprintf(out, " %s_us=%.1f", lat_names[i], s->lat_us[i]);
	fprintf(out, " busy_pct=%.1f tcp_retransmits=%" PRIu64 " net_drops=%"
		PRIu64 " interrupted=%d", s->busy_pct, ri->tcp_retransmits,
		ri->net_drops, ri->interrupted ? 1 : 0);
	fprintf(out, " run_sent=%" PRIu64 " run_completed=%" PRIu64
		" run_errors=%" PRIu64 " run_conn_attempts=%" PRIu64
		" run_conns=%" PRIu64 "\n", st->run.sent, st->run.completed,
		st->run.errors, st->run.conn_attempts,
		st->run.conn_established);
}

void
load_report(const struct load_opts *o, const struct load_stats *st,
	    const struct load_run_info *ri, FILE *out)
{
	struct summary s;

	summarize(st, ri, &s);
	if (o->json)
		report_json(o, st, ri, &s, out);
	else
		report_text(o, st, ri, &s, out);
	report_line(st, ri, &s, out);
	fflush(out);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpx-load: EAL, config, ports, the one worker lcore, the run's phases
 * (warm-up, measure, drain), signals, report and teardown. The main lcore
 * keeps time and never touches packets.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_pause.h>

#include "dpx_core.h"
#include "dpx_net.h"
#include "dpx_svc.h"
#include "dpx_tcp.h"
#include "load.h"

#define LINK_WAIT_MS 30000      /* memif: the peer must come (a busy start) */
#define TICK_MS 5
#define DRAIN_MAX_MS 2000       /* then what is still open gets a RST */
#define IDLE_SPIN_POLLS 64
#define IDLE_PAUSE_POLLS 512
#define IDLE_SLEEP_US 20        /* short: --rate keeps its schedule */

struct load_worker {
	struct dpx_worker w;
	struct load_gen *gen;           /* NULL: serve only */
	atomic_int *phase;              /* enum load_phase, set by main */
	atomic_bool drained;            /* LOAD_DRAIN reached its end */
};

struct load_app {
	struct load_opts opts;
	struct dpx_config cfg;
	struct dpx_net net;
	struct load_worker lw[DPX_MAX_WORKERS];
	unsigned int n_workers;
	unsigned int n_up;              /* workers whose layers were set up */
	atomic_int phase;
	atomic_bool stop;               /* SIGINT / SIGTERM */
	bool net_up, launched;
};

/* Only the signal handler needs a global: it sets the stop flag. */
static atomic_bool *signal_stop;

static void
on_signal(int sig)
{
	(void)sig;
	if (signal_stop != NULL)
		atomic_store(signal_stop, true);
}

static void
install_signals(struct load_app *a)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	signal_stop = &a->stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static uint64_t
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Back-off of an idle adaptive worker: spin, pause, then short sleeps. */
static void
idle_wait(unsigned int *empty)
{
	struct timespec ts = { 0, IDLE_SLEEP_US * 1000L };

	if (++*empty < IDLE_SPIN_POLLS)
		return;
	if (*empty < IDLE_PAUSE_POLLS)
		rte_pause();
	else
		nanosleep(&ts, NULL);
}

/*
 * The worker pass. It mirrors worker_main() of app/dpx/main.c (the stages
 * of dpx_net.h) with the generator's tick after the timers, so that what
 * it sends goes out in the same pass; keep the two in step when dpx's
 * loop changes.
 */
static int
load_worker_main(void *arg)
{
	struct load_worker *lw = arg;
	struct dpx_worker *w = &lw->w;
	bool adaptive = w->cfg->idle == DPX_IDLE_ADAPTIVE;
	unsigned int empty = 0;
	uint64_t t0 = rte_rdtsc();

	dpx_net_loop_begin(w);
	if (w->index == 0)
		dpx_net_announce(w);
	for (;;) {
		enum load_phase ph = (enum load_phase)atomic_load_explicit(
			lw->phase, memory_order_relaxed);
		unsigned int n = 0;
		uint64_t t1;

		if (ph == LOAD_STOP)
			break;
		dpx_net_worker_poll(w);
		dpx_tcp_deliver(w);
		dpx_tcp_worker_poll(w);
		if (lw->gen != NULL)
			n += load_gen_tick(lw->gen, w, ph, t0);
		dpx_tcp_output(w);
		dpx_net_flush(w);
		if (dpx_net_pass_end(w))
			n++;
		t1 = rte_rdtsc();
		if (lw->gen != NULL) {
			load_gen_account(lw->gen, t1 - t0, n != 0);
			if (ph == LOAD_DRAIN && load_gen_drained(lw->gen))
				atomic_store(&lw->drained, true);
		}
		t0 = t1;
		if (n != 0)
			empty = 0;
		else if (adaptive)
			idle_wait(&empty);
	}
	load_gen_stop(lw->gen, w);
	dpx_tcp_output(w);
	dpx_net_flush(w);
	return 0;
}

/* ---- set-up ----------------------------------------------------------------- */

static int
split_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--"))
			return i;
	return -1;
}

/* dpx-load runs the services of lib/svc only, no proxy. */
static int
check_config(const struct dpx_config *cfg, const char *file)
{
	for (unsigned int i = 0; i < cfg->n_listeners; i++) {
		const struct dpx_listener_conf *l = &cfg->listeners[i];

		if (l->mode != DPX_LISTEN_STATIC && l->mode != DPX_LISTEN_ECHO) {
			fprintf(stderr, "%s: listeners[%u] (\"%s\"): dpx-load "
				"serves only \"static\" and \"echo\" listeners\n",
				file, i, l->name);
			return -1;
		}
	}
	return 0;
}

static int
load_config(struct load_app *a)
{
	char err[DPX_ERR_LEN];
	enum dpx_log_level level;

	if (dpx_config_load(a->opts.config, &a->cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	if (check_config(&a->cfg, a->opts.config) != 0)
		return -1;
	level = a->cfg.log_level;
	if (a->opts.log_level &&
	    dpx_log_level_parse(a->opts.log_level, &level) != 0) {
		fprintf(stderr, "dpx-load: --log-level: \"%s\" is not one of "
			"error, warning, info, debug\n", a->opts.log_level);
		return -1;
	}
	dpx_log_set_level(level);
	return 0;
}

/* Worker lcores as dpx picks them: the config's list, or the first
 * "workers" lcores after the main one. */
static int
pick_lcores(struct load_app *a)
{
	const struct dpx_config *cfg = &a->cfg;
	unsigned int lcore = 0, n = 0;

	for (n = 0; n < cfg->n_workers; n++) {
		lcore = cfg->lcores_explicit ? cfg->lcore_ids[n] :
			rte_get_next_lcore(n ? lcore : (unsigned int)-1, 1, 0);
		if (lcore >= RTE_MAX_LCORE || !rte_lcore_is_enabled(lcore) ||
		    lcore == rte_get_main_lcore()) {
			DPX_ERR("workers: %u worker lcore(s) needed besides the "
				"main one; give EAL more with -l/--lcores "
				"(e.g. -l 0-%u)", cfg->n_workers, cfg->n_workers);
			return -1;
		}
		a->lw[n].w.lcore_id = lcore;
		a->lw[n].w.index = n;
		a->lw[n].w.cfg = cfg;
		a->lw[n].phase = &a->phase;
	}
	a->n_workers = cfg->n_workers;
	return 0;
}

/* memif links come up when the peer has answered on its socket. */
static int
wait_links(struct load_app *a)
{
	uint64_t until = monotonic_ms() + LINK_WAIT_MS;

	for (unsigned int p = 0; p < a->net.n_ports; p++) {
		const struct dpx_port *port = &a->net.ports[p];
		struct rte_eth_link link;

		for (;;) {
			if (rte_eth_link_get_nowait(port->port_id, &link) == 0 &&
			    link.link_status == RTE_ETH_LINK_UP)
				break;
			if (monotonic_ms() > until || atomic_load(&a->stop)) {
				DPX_ERR("port %s (%s): link still down after %d "
					"ms; for memif, is the server side "
					"(dpx) running on that socket?",
					port->conf->name, port->conf->device,
					LINK_WAIT_MS);
				return -1;
			}
			sleep_ms(10);
		}
	}
	return 0;
}

/* Worker i's part of the connections and of the rate. */
static struct load_share
share_of(const struct load_app *a, unsigned int i)
{
	const struct load_opts *o = &a->opts;
	struct load_share sh = {
		.connections = o->connections / a->n_workers +
			       (i < o->connections % a->n_workers),
		.n_workers = a->n_workers,
	};

	sh.rate = o->rate * sh.connections / o->connections;
	return sh;
}

static int
worker_setup(struct load_app *a, struct load_worker *lw)
{
	struct dpx_worker *w = &lw->w;
	struct load_share sh = share_of(a, w->index);
	char err[DPX_ERR_LEN];
	int rc;

	rc = dpx_net_worker_init(w, &a->net);
	a->n_up = w->index + 1;
	if (rc == 0)
		rc = dpx_tcp_worker_init(w);
	if (rc == 0)
		rc = dpx_svc_worker_start(w);
	if (rc != 0) {
		DPX_ERR("worker %u: cannot set up: %s", w->index, strerror(-rc));
		return -1;
	}
	if (!a->opts.have_target || sh.connections == 0)
		return 0;
	lw->gen = load_gen_create(w, &a->opts, &sh, err, sizeof(err));
	if (lw->gen == NULL) {
		fprintf(stderr, "dpx-load: %s\n", err);
		return -1;
	}
	return 0;
}

static int
start(struct load_app *a)
{
	int sockets[DPX_MAX_WORKERS];
	int rc;

	for (unsigned int i = 0; i < a->n_workers; i++)
		sockets[i] = (int)rte_lcore_to_socket_id(a->lw[i].w.lcore_id);
	rc = dpx_net_init(&a->net, &a->cfg, a->n_workers, sockets);
	a->net_up = true;
	if (rc != 0)
		DPX_ERR("ports not started; a memif port with role=client needs "
			"its server (dpx) running first");
	if (rc == 0)
		rc = wait_links(a);
	for (unsigned int i = 0; rc == 0 && i < a->n_workers; i++)
		rc = worker_setup(a, &a->lw[i]);
	if (rc != 0)
		return -1;
	atomic_store(&a->phase, a->opts.warmup_s > 0 || !a->opts.have_target ?
		     LOAD_WARMUP : LOAD_MEASURE);
	for (unsigned int i = 0; rc == 0 && i < a->n_workers; i++) {
		rc = rte_eal_remote_launch(load_worker_main, &a->lw[i],
					   a->lw[i].w.lcore_id);
		a->launched = a->launched || rc == 0;
	}
	return rc;
}

static void
write_ready_file(const char *path)
{
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		DPX_WARN("cannot create ready file %s: %s", path,
			 strerror(errno));
		return;
	}
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
}

/* ---- the run ---------------------------------------------------------------- */

/* Sleeps until ms have passed or a signal came; false on a signal. */
static bool
wait_ms(struct load_app *a, uint64_t ms)
{
	uint64_t until = monotonic_ms() + ms;

	while (!atomic_load(&a->stop)) {
		if (ms != 0 && monotonic_ms() >= until)
			return true;
		sleep_ms(TICK_MS);
	}
	return false;
}

static bool
all_drained(struct load_app *a)
{
	for (unsigned int i = 0; i < a->n_workers; i++)
		if (a->lw[i].gen != NULL && !atomic_load(&a->lw[i].drained))
			return false;
	return true;
}

static void
run_phases(struct load_app *a)
{
	const struct load_opts *o = &a->opts;
	bool ok = true;

	if (!o->have_target) {          /* serve until a signal */
		wait_ms(a, 0);
	} else {
		if (o->warmup_s > 0)
			ok = wait_ms(a, (uint64_t)(o->warmup_s * 1000));
		atomic_store(&a->phase, LOAD_MEASURE);
		if (ok)
			wait_ms(a, (uint64_t)(o->duration_s * 1000));
	}
	atomic_store(&a->phase, LOAD_DRAIN);
	for (uint64_t until = monotonic_ms() + DRAIN_MAX_MS;
	     !all_drained(a) && monotonic_ms() < until;)
		sleep_ms(1);
	atomic_store(&a->phase, LOAD_STOP);
}

/* The workers' windows are the same phases seen a pass apart: the run's
 * window spans them all. */
static void
stats_add(struct load_stats *sum, const struct load_stats *st)
{
	if (sum->t_start == 0 || st->t_start < sum->t_start)
		sum->t_start = st->t_start;
	if (st->t_end > sum->t_end)
		sum->t_end = st->t_end;
	sum->sent += st->sent;
	sum->completed += st->completed;
	sum->rsp_bytes += st->rsp_bytes;
	sum->body_bytes += st->body_bytes;
	sum->rx_bytes += st->rx_bytes;
	sum->conn_attempts += st->conn_attempts;
	sum->conn_established += st->conn_established;
	for (int e = 0; e < LOAD_E_MAX; e++)
		sum->errors[e] += st->errors[e];
	sum->loop_cycles += st->loop_cycles;
	sum->busy_cycles += st->busy_cycles;
	load_hist_merge(&sum->latency, &st->latency);
	sum->run.sent += st->run.sent;
	sum->run.completed += st->run.completed;
	sum->run.errors += st->run.errors;
	sum->run.conn_attempts += st->run.conn_attempts;
	sum->run.conn_established += st->run.conn_established;
}

/* At log level debug: each worker's TCP and port counters that moved. */
static void
log_worker_counters(const struct dpx_worker *w, unsigned int n_ports)
{
	const struct dpx_tcp_stats *ts = dpx_tcp_worker_stats(w);

	DPX_DEBUG("worker %u: tcp segs in %lu out %lu, rst sent %lu received "
		  "%lu, drops no_tcb %lu out_of_window %lu, retransmits %lu",
		  w->index, ts->segs_in, ts->segs_out, ts->rst_sent,
		  ts->rst_received, ts->drop_no_tcb, ts->drop_out_of_window,
		  ts->retransmits);
	for (unsigned int p = 0; p < n_ports; p++) {
		const struct dpx_port_stats *ps = dpx_net_worker_stats(w, p);

		DPX_DEBUG("worker %u port %u: rx %lu tx %lu dispatched out %lu "
			  "in %lu", w->index, p, ps->rx_packets, ps->tx_packets,
			  ps->dispatched_out, ps->dispatched_in);
		for (int d = 0; d < DPX_DROP_MAX; d++)
			if (ps->drops[d] != 0)
				DPX_DEBUG("worker %u port %u: drop_%s %lu",
					  w->index, p, dpx_drop_names[d],
					  ps->drops[d]);
	}
}

static void
report(struct load_app *a)
{
	static struct load_stats sum; /* its histogram is large */
	struct load_run_info ri = {
		.tsc_hz = rte_get_tsc_hz(),
		.interrupted = atomic_load(&a->stop),
	};

	memset(&sum, 0, sizeof(sum));
	load_hist_reset(&sum.latency);
	for (unsigned int i = 0; i < a->n_workers; i++) {
		const struct dpx_worker *w = &a->lw[i].w;
		const struct dpx_tcp_stats *ts = dpx_tcp_worker_stats(w);

		if (a->lw[i].gen != NULL)
			stats_add(&sum, load_gen_stats(a->lw[i].gen));
		log_worker_counters(w, a->net.n_ports);
		ri.tcp_retransmits += ts->retransmits;
		ri.tcp_rst_received += ts->rst_received;
		ri.tcp_rst_sent += ts->rst_sent;
		for (unsigned int p = 0; p < a->net.n_ports; p++)
			for (int d = 0; d < DPX_DROP_MAX; d++)
				ri.net_drops += dpx_net_worker_stats(w, p)->drops[d];
	}
	load_report(&a->opts, &sum, &ri, stdout);
}

/*
 * --linger: the workers have stopped; the ports stay up until one goes
 * down (the peer closed it), a signal or the time is up. A memif server
 * handles its client's disconnect in EAL's interrupt thread and unmaps the
 * shared rings there while its worker may be polling them (DPDK 22.11:
 * dpx's worker died with SIGSEGV in eth_memif_rx twice in ~40 dpx-load
 * exits on a loaded machine). Stopping the server first, while this
 * side no longer polls, is safe for both.
 */
static void
linger(struct load_app *a)
{
	uint64_t until = monotonic_ms() + (uint64_t)(a->opts.linger_s * 1000);

	atomic_store(&a->stop, false);  /* a second signal ends it */
	while (!atomic_load(&a->stop) && monotonic_ms() < until) {
		for (unsigned int p = 0; p < a->net.n_ports; p++) {
			struct rte_eth_link link;

			if (rte_eth_link_get_nowait(a->net.ports[p].port_id,
						    &link) == 0 &&
			    link.link_status == RTE_ETH_LINK_DOWN)
				return;
		}
		sleep_ms(TICK_MS);
	}
}

/* Top down, as dpx does: connections release their owners' state and
 * mbufs before the pools go. */
static void
shutdown_all(struct load_app *a)
{
	atomic_store(&a->phase, LOAD_STOP);
	if (a->launched)
		rte_eal_mp_wait_lcore();
	for (unsigned int i = 0; i < a->n_up; i++) {
		struct dpx_worker *w = &a->lw[i].w;

		if (!a->launched)       /* else the worker did it */
			load_gen_stop(a->lw[i].gen, w);
		dpx_tcp_worker_fini(w);
		dpx_svc_worker_fini(w);
		load_gen_free(a->lw[i].gen);
		a->lw[i].gen = NULL;
		dpx_net_worker_fini(w);
	}
	if (a->net_up)
		dpx_net_fini(&a->net);
}

int
main(int argc, char **argv)
{
	static struct load_app app; /* large: keep it off the stack */
	char err[DPX_ERR_LEN];
	int sep, rc;

	sep = split_args(argc, argv);
	if (sep < 0) {
		if (argc > 1 && !strcmp(argv[1], "--help")) {
			load_opts_usage(stdout);
			return 0;
		}
		fprintf(stderr, "dpx-load: missing \"--\" before dpx-load's "
			"options\n");
		load_opts_usage(stderr);
		return 2;
	}
	rc = load_opts_parse(&app.opts, argc - sep, argv + sep, err,
			     sizeof(err));
	if (rc != 0) {
		if (rc < 0)
			fprintf(stderr, "dpx-load: %s\n", err);
		load_opts_free(&app.opts);
		return rc < 0 ? 2 : 0;
	}
	if (load_config(&app) != 0) {
		load_opts_free(&app.opts);
		return 1;
	}
	install_signals(&app);
	if (rte_eal_init(sep, argv) < 0) {
		DPX_ERR("EAL init failed: %s", rte_strerror(rte_errno));
		load_opts_free(&app.opts);
		return 1;
	}
	rc = pick_lcores(&app);
	if (rc == 0)
		rc = start(&app);
	if (rc == 0) {
		if (app.opts.ready_file)
			write_ready_file(app.opts.ready_file);
		run_phases(&app);
		rte_eal_mp_wait_lcore();
		if (app.opts.have_target)
			report(&app);
		if (app.opts.linger_s > 0)
			linger(&app);
	}
	shutdown_all(&app);
	rte_eal_cleanup();
	load_opts_free(&app.opts);
	return rc == 0 ? 0 : 1;
}

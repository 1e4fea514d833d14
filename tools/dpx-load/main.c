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

#define LINK_WAIT_MS 10000      /* memif: the server (dpx) must be there */
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
	struct load_worker lw;
	atomic_int phase;
	atomic_bool stop;               /* SIGINT / SIGTERM */
	bool net_up, worker_up, launched;
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
 * The worker pass. It mirrors worker_main() of app/dpx/main.c (net poll,
 * TCP timers, TX flush) with the generator's tick before the flush; keep
 * the two in step when dpx's loop changes.
 */
static int
load_worker_main(void *arg)
{
	struct load_worker *lw = arg;
	struct dpx_worker *w = &lw->w;
	bool adaptive = w->cfg->idle == DPX_IDLE_ADAPTIVE;
	unsigned int empty = 0;
	uint64_t t0 = rte_rdtsc();

	dpx_net_announce(w);
	for (;;) {
		enum load_phase ph = (enum load_phase)atomic_load_explicit(
			lw->phase, memory_order_relaxed);
		unsigned int n;
		uint64_t t1;

		if (ph == LOAD_STOP)
			break;
		n = dpx_net_worker_poll(w);
		dpx_tcp_worker_poll(w);
		if (lw->gen != NULL)
			n += load_gen_tick(lw->gen, w, ph, t0);
		dpx_net_flush(w);
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

/* dpx-load runs the services of lib/svc only, on one worker. */
static int
check_config(const struct dpx_config *cfg, const char *file)
{
	if (cfg->n_workers != 1) {
		fprintf(stderr, "%s: workers: dpx-load runs one worker "
			"(\"workers\": 1)\n", file);
		return -1;
	}
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

static int
pick_lcore(struct load_app *a)
{
	unsigned int lcore;

	if (a->cfg.lcores_explicit) {
		lcore = a->cfg.lcore_ids[0];
		if (!rte_lcore_is_enabled(lcore) ||
		    lcore == rte_get_main_lcore()) {
			DPX_ERR("workers: lcore %u is not a worker lcore given "
				"to EAL (-l)", lcore);
			return -1;
		}
	} else {
		lcore = rte_get_next_lcore(-1, 1, 0);
		if (lcore >= RTE_MAX_LCORE) {
			DPX_ERR("dpx-load needs a worker lcore besides the main "
				"one: give EAL two (e.g. -l 0-1)");
			return -1;
		}
	}
	a->lw.w.lcore_id = lcore;
	a->lw.w.index = 0;
	a->lw.w.cfg = &a->cfg;
	a->lw.phase = &a->phase;
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

static int
start(struct load_app *a)
{
	struct dpx_worker *w = &a->lw.w;
	int socket = (int)rte_lcore_to_socket_id(w->lcore_id);
	char err[DPX_ERR_LEN];
	int rc;

	rc = dpx_net_init(&a->net, &a->cfg, 1, &socket);
	a->net_up = true;
	if (rc == 0)
		rc = wait_links(a);
	if (rc == 0)
		rc = dpx_net_worker_init(w, &a->net);
	a->worker_up = true;
	if (rc == 0)
		rc = dpx_tcp_worker_init(w);
	if (rc == 0)
		rc = dpx_svc_worker_start(w);
	if (rc != 0) {
		DPX_ERR("cannot set up the worker: %s", strerror(rc < 0 ? -rc : rc));
		return -1;
	}
	if (a->opts.have_target) {
		a->lw.gen = load_gen_create(w, &a->opts, err, sizeof(err));
		if (a->lw.gen == NULL) {
			fprintf(stderr, "dpx-load: %s\n", err);
			return -1;
		}
	}
	atomic_store(&a->phase, a->opts.warmup_s > 0 || !a->opts.have_target ?
		     LOAD_WARMUP : LOAD_MEASURE);
	rc = rte_eal_remote_launch(load_worker_main, &a->lw, w->lcore_id);
	a->launched = rc == 0;
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
	     a->lw.gen != NULL && !atomic_load(&a->lw.drained) &&
	     monotonic_ms() < until;)
		sleep_ms(1);
	atomic_store(&a->phase, LOAD_STOP);
}

static void
report(struct load_app *a)
{
	const struct dpx_worker *w = &a->lw.w;
	const struct dpx_tcp_stats *ts = dpx_tcp_worker_stats(w);
	struct load_run_info ri = {
		.tsc_hz = rte_get_tsc_hz(),
		.interrupted = atomic_load(&a->stop),
		.tcp_retransmits = ts->retransmits,
		.tcp_rst_received = ts->rst_received,
		.tcp_rst_sent = ts->rst_sent,
	};

	for (unsigned int p = 0; p < a->net.n_ports; p++)
		for (int d = 0; d < DPX_DROP_MAX; d++)
			ri.net_drops += dpx_net_worker_stats(w, p)->drops[d];
	load_report(&a->opts, load_gen_stats(a->lw.gen), &ri, stdout);
}

/* Top down, as dpx does: connections release their owners' state and
 * mbufs before the pools go. */
static void
shutdown_all(struct load_app *a)
{
	struct dpx_worker *w = &a->lw.w;

	atomic_store(&a->phase, LOAD_STOP);
	if (a->launched)
		rte_eal_mp_wait_lcore();
	if (a->worker_up) {
		if (!a->launched)
			load_gen_stop(a->lw.gen, w);
		dpx_tcp_worker_fini(w);
		dpx_svc_worker_fini(w);
		load_gen_free(a->lw.gen);
		a->lw.gen = NULL;
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
	rc = pick_lcore(&app);
	if (rc == 0)
		rc = start(&app);
	if (rc == 0) {
		if (app.opts.ready_file)
			write_ready_file(app.opts.ready_file);
		run_phases(&app);
		rte_eal_mp_wait_lcore();
		if (app.lw.gen != NULL)
			report(&app);
	}
	shutdown_all(&app);
	rte_eal_cleanup();
	load_opts_free(&app.opts);
	return rc == 0 ? 0 : 1;
}

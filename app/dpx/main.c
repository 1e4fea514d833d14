/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpx: EAL start-up, config, ports, worker lcores, signals, shutdown.
 * The main lcore is the control plane; it never touches packets.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_pause.h>

#include "acl_cmds.h"
#include "dpx_acl.h"
#include "dpx_core.h"
#include "dpx_net.h"
#include "dpx_proxy.h"
#include "dpx_svc.h"
#include "dpx_tcp.h"
#include "dpx_tls.h"
#include "dpx_udp.h"
#include "dpx_cache.h"
#include "dpx_compress.h"
#include "dpx_auth.h"
#include "dpx_dns.h"
#include "dpx_version.h"
#include "stats.h"

struct app_worker {
	struct dpx_worker w;
	atomic_bool *stop;
};

struct app {
	struct dpx_config cfg;
	struct dpx_net net;
	struct app_worker workers[DPX_MAX_WORKERS];
	unsigned int n_workers;
	const char *config_file;
	const char *ready_file;
	const char *log_level;
	struct dpx_stats_src stats;
	struct dpx_proxy_shared *proxy;  /* NULL without proxy listeners */
	struct dpx_reload_req reload;    /* asked by telemetry */
	atomic_bool stop;
	atomic_bool hup;                 /* SIGHUP: reload certificates */
};

/* Only the signal handlers need globals: they set the app's flags. */
static atomic_bool *signal_stop;
static atomic_bool *signal_hup;

static void
on_signal(int sig)
{
	(void)sig;
	if (signal_stop != NULL)
		atomic_store(signal_stop, true);
}

static void
on_hup(int sig)
{
	(void)sig;
	if (signal_hup != NULL)
		atomic_store(signal_hup, true);
}

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: dpx [EAL options] -- --config FILE [--log-level LEVEL]"
		" [--ready-file PATH]\n"
		"       dpx --check-config FILE\n"
		"       dpx --help | --version\n\n"
		"  --config FILE      JSON configuration (docs/config.md)\n"
		"  --log-level LEVEL  error, warning, info or debug; overrides"
		" the config\n"
		"  --ready-file PATH  created once ports run and workers poll\n"
		"  --check-config F   validate F and exit: 0 valid, 1 not\n");
}

static int
check_config(const char *file)
{
	struct dpx_config *cfg = calloc(1, sizeof(*cfg));
	char err[DPX_ERR_LEN];
	int rc;

	if (cfg == NULL)
		return 1;
	rc = dpx_config_load(file, cfg, err, sizeof(err));
	if (rc == 0)
		printf("%s: ok\n", file);
	else
		fprintf(stderr, "%s\n", err);
	dpx_config_release(cfg);
	free(cfg);
	return rc == 0 ? 0 : 1;
}

/* Parses dpx's own options (after "--"); returns 0, or 1 to exit(2). */
static int
parse_app_args(struct app *app, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': app->config_file = optarg; break;
		case 'l': app->log_level = optarg; break;
		case 'r': app->ready_file = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "dpx: unexpected argument \"%s\"\n", argv[optind]);
		return 1;
	}
	if (app->config_file == NULL) {
		fprintf(stderr, "dpx: --config FILE is required (after \"--\")\n");
		usage(stderr);
		return 1;
	}
	return 0;
}

static int
load_config(struct app *app)
{
	char err[DPX_ERR_LEN];
	enum dpx_log_level level;

	if (dpx_config_load(app->config_file, &app->cfg, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	level = app->cfg.log_level;
	if (app->log_level && dpx_log_level_parse(app->log_level, &level)) {
		fprintf(stderr, "dpx: --log-level: \"%s\" is not one of error, "
			"warning, info, debug\n", app->log_level);
		return -1;
	}
	dpx_log_set_level(level);
	return 0;
}

static int
pick_lcores(struct app *app)
{
	const struct dpx_config *cfg = &app->cfg;
	unsigned int lcore, n = 0;

	if (cfg->lcores_explicit) {
		for (n = 0; n < cfg->n_workers; n++) {
			lcore = cfg->lcore_ids[n];
			if (!rte_lcore_is_enabled(lcore) ||
			    lcore == rte_get_main_lcore()) {
				DPX_ERR("workers: lcore %u is not a worker lcore "
					"given to EAL (-l)", lcore);
				return -1;
			}
			app->workers[n].w.lcore_id = lcore;
		}
	} else {
		RTE_LCORE_FOREACH_WORKER(lcore) {
			if (n == cfg->n_workers)
				break;
			app->workers[n++].w.lcore_id = lcore;
		}
		if (n < cfg->n_workers) {
			DPX_ERR("workers: %u requested but EAL has %u worker "
				"lcores; give more with -l (the first is the "
				"main lcore)", cfg->n_workers, n);
			return -1;
		}
	}
	app->n_workers = cfg->n_workers;
	for (unsigned int i = 0; i < app->n_workers; i++) {
		app->workers[i].w.index = i;
		app->workers[i].w.cfg = cfg;
		app->workers[i].stop = &app->stop;
	}
	return 0;
}

/* Adaptive idle: after idle_spin_us without work, sleep until a packet
 * or the next timer; the control plane does not wait for a sleeper. */
static void
worker_idle(struct dpx_worker *w)
{
	if (!dpx_net_idle_due(w))
		return;
	dpx_proxy_worker_offline(w);
	dpx_net_sleep(w, dpx_tcp_timer_slack_us(w));
	dpx_proxy_worker_online(w);
}

static int
worker_main(void *arg)
{
	struct app_worker *aw = arg;
	struct dpx_worker *w = &aw->w;
	bool adaptive = w->cfg->idle == DPX_IDLE_ADAPTIVE, more;

	dpx_net_loop_begin(w);
	if (w->index == 0)
		dpx_net_announce(w);
	while (!atomic_load_explicit(aw->stop, memory_order_relaxed)) {
		/* One pass; the order is dpx_net.h's (stages in comments). */
		dpx_net_worker_poll(w);         /* rx, net, tcp input */
		dpx_tcp_deliver(w);             /* app */
		dpx_tcp_worker_poll(w);         /* timers */
		more = dpx_proxy_worker_run(w); /* app: deferred work */
		dpx_tcp_output(w);              /* tcp output */
		dpx_net_flush(w);               /* tx */
		dpx_proxy_worker_quiescent(w);
		if (!dpx_net_pass_end(w) && adaptive && !more)
			worker_idle(w);
	}
	dpx_proxy_worker_stop(w);
	dpx_tcp_output(w);
	dpx_net_flush(w);
	return 0;
}

static int
start(struct app *app)
{
	int sockets[DPX_MAX_WORKERS];
	int rc;

	for (unsigned int i = 0; i < app->n_workers; i++)
		sockets[i] = (int)rte_lcore_to_socket_id(
				app->workers[i].w.lcore_id);
	rc = dpx_net_init(&app->net, &app->cfg, app->n_workers, sockets);
	if (rc == 0) {
		app->proxy = dpx_proxy_shared_create(&app->cfg, app->n_workers);
		if (app->proxy != NULL)
			dpx_proxy_open_log(app->proxy);
		else if (app->cfg.n_pools > 0)
			rc = -ENOMEM;
	}
	for (unsigned int i = 0; rc == 0 && i < app->n_workers; i++) {
		struct dpx_worker *w = &app->workers[i].w;

		rc = dpx_net_worker_init(w, &app->net);
		if (rc == 0)
			rc = dpx_tcp_worker_init(w);
		if (rc == 0)
			rc = dpx_udp_worker_init(w);
		if (rc == 0)
			rc = dpx_svc_worker_start(w);
		if (rc == 0)
			rc = dpx_proxy_worker_start(w, app->proxy);
		if (rc != 0)
			DPX_ERR("worker %u: cannot set up: %s", i, strerror(-rc));
	}
	app->stats.net = &app->net;
	app->stats.proxy = app->proxy;
	app->stats.n_workers = app->n_workers;
	app->stats.reload = &app->reload;
	for (unsigned int i = 0; i < app->n_workers; i++)
		app->stats.workers[i] = &app->workers[i].w;
	if (rc == 0)
		rc = dpx_stats_register(&app->stats);
	if (rc == 0)
		dpx_acl_cmds_register(app->proxy, app->n_workers);
	for (unsigned int i = 0; rc == 0 && i < app->n_workers; i++)
		rc = rte_eal_remote_launch(worker_main, &app->workers[i],
					   app->workers[i].w.lcore_id);
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

static uint64_t
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* SIGHUP: certificates, users files and ACLs (a full config reload is
 * not there yet); each reload logs its outcome. */
static void
hup_serve(struct app *app)
{
	char err[1024];
	unsigned int n;

	if (!atomic_exchange(&app->hup, false))
		return;
	DPX_INFO("SIGHUP: reloading TLS certificates and users files");
	if (app->proxy != NULL) {
		dpx_proxy_tls_reload(app->proxy, &n, err, sizeof(err));
		dpx_auth_reload_all(app->proxy, NULL, &n, err, sizeof(err));
	}
	if (app->proxy != NULL && app->cfg.acls != NULL) {
		DPX_INFO("SIGHUP: reloading ACLs");
		dpx_proxy_acl_reload(app->proxy, &n, err, sizeof(err));
	}
}

/* The control plane's loop: health, snapshots and logs every 10 ms;
 * certificate reloads when asked. */
static void
wait_for_signal(struct app *app)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };

	while (!atomic_load(&app->stop)) {
		nanosleep(&tick, NULL);
		hup_serve(app);
		dpx_reload_serve(&app->reload, app->proxy);
		if (app->proxy != NULL)
			dpx_proxy_control_tick(app->proxy, monotonic_ms());
	}
	DPX_INFO("stopping");
}

static void
shutdown_all(struct app *app)
{
	atomic_store(&app->stop, true);
	rte_eal_mp_wait_lcore();
	if (app->stats.n_workers && app->workers[0].w.net)
		dpx_stats_log(&app->stats);
	for (unsigned int i = 0; i < app->n_workers; i++) {
		/* Top down: connections release service state and mbufs
		 * before the pools go. */
		dpx_tcp_worker_fini(&app->workers[i].w);
		dpx_proxy_worker_fini(&app->workers[i].w);
		dpx_svc_worker_fini(&app->workers[i].w);
		dpx_udp_worker_fini(&app->workers[i].w);
		dpx_net_worker_fini(&app->workers[i].w);
	}
	if (app->proxy != NULL)
		dpx_proxy_control_tick(app->proxy, monotonic_ms()); /* logs */
	dpx_proxy_shared_free(app->proxy);
	app->proxy = NULL;
	dpx_net_fini(&app->net);
}

static void
install_signals(struct app *app)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	signal_stop = &app->stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_hup;
	signal_hup = &app->hup;
	sigaction(SIGHUP, &sa, NULL);
}

/* Handles the options that need no EAL; returns -1 when none matched. */
static int
early_options(int argc, char **argv)
{
	if (argc < 2)
		return -1;
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("dpx %s\n", DPX_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "--check-config")) {
		if (argc != 3) {
			fprintf(stderr, "dpx: usage: dpx --check-config FILE\n");
			return 2;
		}
		return check_config(argv[2]);
	}
	return -1;
}

static int
split_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--"))
			return i;
	return -1;
}

/* The config hook's view of lib/acl's section (a listener's "acl"). */
static int
app_acl_find(const void *acls, const char *name)
{
	return dpx_acl_section_find(acls, name);
}

int
main(int argc, char **argv)
{
	static struct app app; /* large: keep it off the stack */
	static const struct dpx_config_ext ext = {
		.listener_tls = dpx_tls_conf_parse,
		.release_tls = dpx_tls_conf_free,
		.pool_tls = dpx_tls_client_conf_parse,
		.cache = dpx_cache_section_parse,
		.release_cache = dpx_cache_section_free,
		.route_cache = dpx_cache_route_parse,
		.release_route_cache = dpx_cache_route_free,
		.compression = dpx_compress_conf_parse,
		.release_compression = dpx_compress_conf_free,
		.resolver = dpx_dns_conf_parse,
		.release_resolver = dpx_dns_conf_free,
		.acls = dpx_acl_section_parse,
		.release_acls = dpx_acl_section_free,
		.acl_find = app_acl_find,
		.auth = dpx_auth_section_parse,
		.release_auth = dpx_auth_section_free,
		.auth_index = dpx_auth_section_index,
	};
	int sep, rc;

	dpx_config_set_ext(&ext);
	rc = early_options(argc, argv);
	if (rc >= 0)
		return rc;
	sep = split_args(argc, argv);
	if (sep < 0) {
		fprintf(stderr, "dpx: missing \"--\" before dpx's options\n");
		usage(stderr);
		return 2;
	}
	if (parse_app_args(&app, argc - sep, argv + sep) != 0)
		return 2;
	if (load_config(&app) != 0)
		return 1;
	pthread_mutex_init(&app.reload.lock, NULL);
	install_signals(&app);
	if (rte_eal_init(sep, argv) < 0) {
		DPX_ERR("EAL init failed: %s", rte_strerror(rte_errno));
		return 1;
	}
	rc = pick_lcores(&app);
	if (rc == 0)
		rc = start(&app);
	if (rc == 0) {
		DPX_INFO("dpx %s running: %u worker(s), %u port(s)",
			 DPX_VERSION, app.n_workers, app.net.n_ports);
		if (app.ready_file)
			write_ready_file(app.ready_file);
		wait_for_signal(&app);
	}
	shutdown_all(&app);
	rte_eal_cleanup();
	dpx_config_release(&app.cfg);
	return rc == 0 ? 0 : 1;
}

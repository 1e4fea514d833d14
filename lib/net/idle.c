/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Adaptive idle: a worker that found nothing to do for a while sleeps on
 * its queues instead of spinning, so a machine it shares keeps its CPU and
 * "CPU per request" at partial load means something (DPDK's l3fwd-power is
 * the model). What a queue offers to sleep on:
 *
 *   - the PMD's Rx interrupt (TAP): the queue's event fd, through EAL's
 *     epoll wrapper, which reads what each kind of fd needs read;
 *   - an AF_XDP socket: poll(2) on it reports a non-empty Rx ring;
 *   - nothing (memif, ring, most PCI PMDs without Rx interrupts set up):
 *     the worker naps in growing steps (8 µs .. 256 µs) and polls.
 *
 * Peers that hand a sleeping worker packets or ARP notes through its
 * rings write its eventfd. The race between "going to sleep" and "a peer
 * enqueues" is closed Dekker style: the sleeper publishes `sleeping` and
 * then looks at its rings; the producer enqueues and then looks at
 * `sleeping`; both with a full fence in between, so at least one of them
 * sees the other.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rte_epoll.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_pause.h>

#include "net_priv.h"

#ifndef AF_XDP
#define AF_XDP 44
#endif

#define IDLE_NAP_MIN_US 8
#define IDLE_NAP_MAX_US 256
/* Longest sleep: bounds how late a stop request or a published snapshot
 * is noticed. */
#define IDLE_SLEEP_MAX_US 100000
#define IDLE_EVENTS (DPX_MAX_PORTS + 1)

struct net_idle {
	uint64_t spin_tsc;          /* stay awake this long after work */
	int epfd;                   /* -1: some queue has nothing to wait on */
	int tap_sig;                /* the TAP PMD's Rx trigger signal, or 0 */
	uint32_t nap_us;            /* the next nap when napping */
	struct rte_epoll_event kick;
	struct rte_epoll_event xdp[DPX_MAX_PORTS];
};

/* Reads the eventfd so that it stops being readable. */
static void
kick_clear(int fd, void *arg)
{
	uint64_t v;

	(void)arg;
	while (read(fd, &v, sizeof(v)) < 0 && errno == EINTR)
		;
}

void
net_kick(const struct dpx_net *net, unsigned int to)
{
	uint64_t one = 1;

	atomic_thread_fence(memory_order_seq_cst);
	if (net->kick_fd[to] < 0 ||
	    !atomic_load_explicit(&net->sleeping[to], memory_order_relaxed))
		return;
	/* EAGAIN means the counter is full: the worker is being woken. */
	(void)!write(net->kick_fd[to], &one, sizeof(one));
}

unsigned int
net_xdp_sockets(int *out, unsigned int max)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	unsigned int n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL && n < max) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);
		int domain = 0;
		socklen_t len = sizeof(domain);

		if (*end != '\0' || fd < 0 || fd == dirfd(d))
			continue;
		if (getsockopt((int)fd, SOL_SOCKET, SO_DOMAIN, &domain,
			       &len) == 0 && domain == AF_XDP)
			out[n++] = (int)fd;
	}
	closedir(d);
	return n;
}

/*
 * The TAP PMD reads a queue only when its Rx trigger has moved since the
 * queue was last found empty: a handler of the real-time signal it sets on
 * the queue fds (F_SETSIG) counts it up. That signal goes to the process,
 * to whichever thread and whenever the scheduler lets it, while the
 * queue's epoll event wakes this worker at once: woken first, the worker
 * polled, the PMD read nothing, and the worker slept again until its
 * timer (pings over TAP took up to 56 ms instead of 0.2). Raising the
 * signal in this thread runs the handler before the next poll.
 */
static int
tap_trigger_signal(const struct dpx_port *port, unsigned int q)
{
	int fd = rte_eth_dev_rx_intr_ctl_q_get_fd(port->port_id, q);
	int sig = fd >= 0 ? fcntl(fd, F_GETSIG) : 0;

	return sig > 0 ? sig : 0;
}

/* Adds what this worker's queue of port p can be waited on with. */
static bool
idle_add_port(struct dpx_worker *w, struct net_idle *id, unsigned int p)
{
	const struct dpx_port *port = net_port(w, p);
	struct rte_epoll_event *ev = &id->xdp[p];

	if (port->rx_intr) {
		id->tap_sig = tap_trigger_signal(port, w->index);
		return rte_eth_dev_rx_intr_ctl_q(port->port_id, w->index,
						 id->epfd, RTE_INTR_EVENT_ADD,
						 NULL) == 0;
	}
	memset(ev, 0, sizeof(*ev));
	ev->epdata.event = EPOLLIN;
	return rte_epoll_ctl(id->epfd, EPOLL_CTL_ADD,
			     port->xdp_fd[w->index], ev) == 0;
}

static void
idle_epoll_close(struct dpx_worker *w, struct net_idle *id)
{
	const struct dpx_net *net = w->net->net;

	if (id->epfd < 0)
		return;
	/* EAL remembers the queues it added: take them out before the
	 * epoll fd goes, or closing the port complains. */
	for (unsigned int p = 0; p < net->n_ports; p++)
		if (net->ports[p].rx_intr)
			(void)rte_eth_dev_rx_intr_ctl_q(net->ports[p].port_id,
							w->index, id->epfd,
							RTE_INTR_EVENT_DEL,
							NULL);
	close(id->epfd);
	id->epfd = -1;
}

/* The epoll set of the worker's queues and its kick eventfd. With a queue
 * that offers nothing to wait on, the worker naps instead (epfd -1). */
static void
idle_epoll_setup(struct dpx_worker *w, struct net_idle *id)
{
	const struct dpx_net *net = w->net->net;
	int kick = net->kick_fd[w->index];

	id->epfd = -1;
	for (unsigned int p = 0; p < net->n_ports; p++) {
		const struct dpx_port *port = &net->ports[p];

		if (!port->rx_intr && port->xdp_fd[w->index] < 0) {
			DPX_INFO("worker %u: port %s has no Rx event to sleep "
				 "on: an idle worker naps and polls", w->index,
				 port->conf->name);
			return;
		}
	}
	id->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (id->epfd < 0)
		return;
	for (unsigned int p = 0; p < net->n_ports; p++)
		if (!idle_add_port(w, id, p))
			goto fail;
	if (kick >= 0) {
		id->kick.epdata.event = EPOLLIN;
		id->kick.epdata.cb_fun = kick_clear;
		if (rte_epoll_ctl(id->epfd, EPOLL_CTL_ADD, kick, &id->kick) != 0)
			goto fail;
	}
	return;
fail:
	DPX_WARN("worker %u: cannot wait for Rx events (%s): an idle worker "
		 "naps and polls", w->index, strerror(errno));
	idle_epoll_close(w, id);
}

int
net_idle_init(struct dpx_worker *w)
{
	struct dpx_net *net = w->net->net;
	struct net_idle *id;

	net->kick_fd[w->index] = -1;
	if (w->cfg->idle != DPX_IDLE_ADAPTIVE)
		return 0;
	id = rte_zmalloc("dpx_idle", sizeof(*id), RTE_CACHE_LINE_SIZE);
	if (id == NULL)
		return -ENOMEM;
	w->net->idle = id;
	id->spin_tsc = rte_get_tsc_hz() / 1000000 * w->cfg->idle_spin_us;
	id->nap_us = IDLE_NAP_MIN_US;
	if (net->n_workers > 1)
		net->kick_fd[w->index] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	idle_epoll_setup(w, id);
	return 0;
}

void
net_idle_fini(struct dpx_worker *w)
{
	struct net_idle *id = w->net->idle;
	struct dpx_net *net = w->net->net;

	if (id == NULL)
		return;
	idle_epoll_close(w, id);
	if (net->kick_fd[w->index] >= 0)
		close(net->kick_fd[w->index]);
	net->kick_fd[w->index] = -1;
	rte_free(id);
	w->net->idle = NULL;
}

bool
dpx_net_idle_due(const struct dpx_worker *w)
{
	const struct net_idle *id = w->net->idle;

	return id != NULL && rte_rdtsc() - w->rt.last_busy >= id->spin_tsc;
}

/* Work that peers queued for this worker. */
static bool
peers_gave_work(const struct dpx_net_worker *nw)
{
	return (nw->handoff != NULL && rte_ring_count(nw->handoff) > 0) ||
	       (nw->inbox != NULL && rte_ring_count(nw->inbox) > 0);
}

static void
idle_wait(struct dpx_worker *w, struct net_idle *id, uint64_t us)
{
	struct dpx_net_worker *nw = w->net;
	struct dpx_net *net = nw->net;
	struct rte_epoll_event ev[IDLE_EVENTS];
	int n;

	atomic_store_explicit(&net->sleeping[w->index], true,
			      memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	if (peers_gave_work(nw)) {
		atomic_store(&net->sleeping[w->index], false);
		return;
	}
	for (unsigned int p = 0; p < net->n_ports; p++)
		if (net->ports[p].rx_intr)
			(void)rte_eth_dev_rx_intr_enable(net->ports[p].port_id,
							 w->index);
	/* EAL's epoll counts milliseconds: round up, the timer wheel's tick
	 * is one. */
	n = rte_epoll_wait(id->epfd, ev, RTE_DIM(ev), (int)((us + 999) / 1000));
	for (unsigned int p = 0; p < net->n_ports; p++)
		if (net->ports[p].rx_intr)
			(void)rte_eth_dev_rx_intr_disable(net->ports[p].port_id,
							  w->index);
	atomic_store(&net->sleeping[w->index], false);
	w->rt.sleeps++;
	if (n > 0)
		w->rt.wakeups_rx++;
	if (n > 0 && id->tap_sig != 0)
		(void)pthread_kill(pthread_self(), id->tap_sig);
}

/* Without an fd to wait on: a nap that grows while nothing happens. */
static void
idle_nap(struct dpx_worker *w, struct net_idle *id, uint64_t us)
{
	struct timespec ts = { 0, 0 };

	us = RTE_MIN(us, (uint64_t)id->nap_us);
	ts.tv_nsec = (long)us * 1000;
	nanosleep(&ts, NULL);
	w->rt.sleeps++;
	id->nap_us = RTE_MIN(id->nap_us * 2, (uint32_t)IDLE_NAP_MAX_US);
}

void
dpx_net_sleep(struct dpx_worker *w, uint64_t max_us)
{
	struct net_idle *id = w->net->idle;
	struct dpx_runtime *rt = &w->rt;
	uint64_t now, arp_us;

	if (id == NULL)
		return;
	now = rte_rdtsc();
	/* The ARP timer is ours to keep too. */
	arp_us = w->net->next_timer > now ?
		 (w->net->next_timer - now) * 1000000 / w->net->tsc_hz : 0;
	max_us = RTE_MIN(RTE_MIN(max_us, arp_us), (uint64_t)IDLE_SLEEP_MAX_US);
	if (max_us == 0) {
		rte_pause();
		return;
	}
	if (id->epfd >= 0)
		idle_wait(w, id, max_us);
	else
		idle_nap(w, id, max_us);
	/* The sleep is idle time, not the next pass's first stage. */
	now = rte_rdtsc();
	rt->idle_cycles += now - rt->mark;
	rt->mark = now;
}

/* The nap starts small again once there is work. */
void
net_idle_busy(struct dpx_worker *w)
{
	if (w->net->idle != NULL)
		w->net->idle->nap_us = IDLE_NAP_MIN_US;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_af_xdp ports: DPDK's AF_XDP PMD binds queues of a kernel interface
 * (a NIC, or a veth in tests) through one AF_XDP socket per queue and an
 * XDP program that redirects the queue's packets to it. Its set-up fails
 * in ways the PMD reports tersely ("Failed to create xsk socket") or not
 * at all: packets the interface puts on a queue without a socket go to
 * the kernel stack, silently. This file checks what dpx can check, says
 * what to change, and logs the set-up a port ended up with.
 *
 * The figures below are DPDK 22.11's (drivers/net/af_xdp/rte_eth_af_xdp.c).
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/ethtool.h>
#include <linux/if_xdp.h>
#include <linux/sockios.h>

#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_ethdev.h>
#include <rte_kvargs.h>
#include <rte_version.h>

#include "net_priv.h"

#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef SOL_XDP
#define SOL_XDP 283
#endif
#ifndef SO_PREFER_BUSY_POLL
#define SO_PREFER_BUSY_POLL 69
#endif
#ifndef SO_BUSY_POLL_BUDGET
#define SO_BUSY_POLL_BUDGET 70
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif
/* The kernel's headroom in front of every XDP frame. */
#define XDP_HEADROOM 256

/* What dpx needs of a port's devargs (the PMD's own keys). */
struct xdp_args {
	char iface[IF_NAMESIZE];
	int start_queue;
	int queue_count;
	int busy_budget;
};

/* Device names the vdev bus hands to the AF_XDP PMD. */
bool
net_xdp_device(const char *device)
{
	return strncmp(device, "net_af_xdp", 10) == 0;
}

static int
xdp_args_int(const struct rte_kvargs *kv, const char *key, int def)
{
	const char *v = rte_kvargs_get(kv, key);
	char *end;
	long n;

	if (v == NULL)
		return def;
	n = strtol(v, &end, 0);
	return (*end != '\0' || n < 0 || n > 65535) ? -1 : (int)n;
}

/* 0, or -1 when args are not key=value pairs the PMD could read. */
static int
xdp_args_parse(const char *args, struct xdp_args *a)
{
	struct rte_kvargs *kv = rte_kvargs_parse(args != NULL ? args : "",
						 NULL);
	const char *iface;

	memset(a, 0, sizeof(*a));
	if (kv == NULL)
		return -1;
	iface = rte_kvargs_get(kv, "iface");
	if (iface != NULL)
		snprintf(a->iface, sizeof(a->iface), "%s", iface);
	/* The PMD's defaults: queue 0, one queue. */
	a->start_queue = xdp_args_int(kv, "start_queue", 0);
	a->queue_count = xdp_args_int(kv, "queue_count", 1);
	a->busy_budget = xdp_args_int(kv, "busy_budget", 64);
	rte_kvargs_free(kv);
	return 0;
}

/* An ioctl on the interface through a throw-away socket; 0 or -errno. */
static int
if_ioctl(const char *ifname, unsigned long req, struct ifreq *ifr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc;

	if (fd < 0)
		return -errno;
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", ifname);
	rc = ioctl(fd, req, ifr) == 0 ? 0 : -errno;
	close(fd);
	return rc;
}

static int
if_ethtool(const char *ifname, void *cmd)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_data = cmd;
	return if_ioctl(ifname, SIOCETHTOOL, &ifr);
}

/* The interface's driver ("veth", "ice", ...), or "?" */
static void
if_driver(const char *ifname, char *out, size_t len)
{
	struct ethtool_drvinfo d = { .cmd = ETHTOOL_GDRVINFO };

	snprintf(out, len, "%s", if_ethtool(ifname, &d) == 0 ? d.driver : "?");
}

static bool
if_is_veth(const char *ifname)
{
	char drv[32];

	if_driver(ifname, drv, sizeof(drv));
	return strcmp(drv, "veth") == 0;
}

/* RX queues the interface uses, as ethtool -l counts them (1 when it
 * cannot tell: the kernel then uses one). */
static int
if_rx_queues(const char *ifname)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };

	if (if_ethtool(ifname, &ch) != 0 || ch.combined_count + ch.rx_count == 0)
		return 1;
	return (int)(ch.combined_count + ch.rx_count);
}

/* Queues of the interface the PMD accepts to bind. Before DPDK 25.07 it
 * counts ethtool's combined channels only (a device without them counts
 * as one queue); 25.07 counts separate rx/tx channels too. */
static int
pmd_max_queues(const char *ifname)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };

	if (if_ethtool(ifname, &ch) != 0)
		return 1;
#if RTE_VERSION < RTE_VERSION_NUM(25, 7, 0, 0)
	return ch.max_combined == 0 ? 1 : (int)ch.combined_count;
#else
	if (ch.max_combined == 0)
		return (int)RTE_MAX(1u, RTE_MIN(ch.rx_count, ch.tx_count));
	return (int)ch.combined_count;
#endif
}

/* The largest MTU the PMD takes: a frame, the mbuf in front of it and
 * the kernel's XDP headroom share one page (as its dev_info computes). */
static unsigned int
pmd_max_mtu(void)
{
	return (unsigned int)getpagesize() - sizeof(struct rte_mempool_objhdr) -
	       sizeof(struct rte_mbuf) - RTE_PKTMBUF_HEADROOM - XDP_HEADROOM -
	       RTE_ETHER_HDR_LEN - RTE_ETHER_CRC_LEN;
}

static bool
has_cap(int cap)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) != 0)
		return true; /* cannot tell: assume so, say nothing */
	return (d[cap / 32].effective >> (cap % 32)) & 1;
}

/* The port's queue numbers against the interface, the PMD and the
 * workers. Returns the problems found, each logged. */
static unsigned int
explain_queues(const char *name, const struct xdp_args *a,
	       unsigned int n_workers)
{
	int pmd_max = pmd_max_queues(a->iface);
	int rxq = if_rx_queues(a->iface);
	bool veth = if_is_veth(a->iface);
	unsigned int found = 0;

	if (a->start_queue < 0 || a->queue_count <= 0) {
		DPX_ERR("port %s: start_queue and queue_count must be numbers "
			"(queue_count at least 1)", name);
		return 1;
	}
	if (a->queue_count > pmd_max) {
		DPX_ERR("port %s: queue_count=%d, but %s's af_xdp PMD "
			"binds at most %d queue(s) of %s: it counts ethtool's "
			"combined channels%s", name, a->queue_count,
			rte_version(), pmd_max, a->iface,
			veth ? ", and a veth has none (only rx/tx channels), so "
			       "on a veth it binds one queue: run one worker" :
			       " (ethtool -L IFACE combined N)");
		found++;
	}
	if (a->start_queue + a->queue_count > rxq) {
		DPX_ERR("port %s: queues %d..%d of %s are needed "
			"(start_queue=%d, queue_count=%d) but it has %d RX "
			"queue(s)%s", name, a->start_queue,
			a->start_queue + a->queue_count - 1, a->iface,
			a->start_queue, a->queue_count, rxq,
			veth ? ": create the veth with as many (ip link add "
			       "IFACE numrxqueues N numtxqueues N type veth peer "
			       "... numrxqueues N numtxqueues N)" : "");
		found++;
	}
	if ((unsigned int)a->queue_count != n_workers) {
		DPX_ERR("port %s: queue_count=%d, but dpx runs %u worker(s), "
			"one queue each: give queue_count=%u", name,
			a->queue_count, n_workers, n_workers);
		found++;
	}
	return found;
}

/* Loads (and closes again) the smallest XDP program: does this kernel
 * run XDP at all? 0 or -errno. */
static int
xdp_prog_try(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
		  .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	static const char license[] = "GPL";
	union bpf_attr attr;
	long fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_XDP;
	attr.insns = (uintptr_t)insns;
	attr.insn_cnt = RTE_DIM(insns);
	attr.license = (uintptr_t)license;
	fd = syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	if (fd < 0)
		return -errno;
	close((int)fd);
	return 0;
}

/* Can dpx open an AF_XDP socket? Logs why not. */
static unsigned int
explain_socket(const char *name)
{
	int fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno == EAFNOSUPPORT)
		DPX_ERR("port %s: this kernel has no AF_XDP sockets "
			"(CONFIG_XDP_SOCKETS)", name);
	else
		DPX_ERR("port %s: cannot open an AF_XDP socket: %s%s", name,
			strerror(errno),
			errno == EPERM ? " (needs CAP_NET_RAW)" : "");
	return 1;
}

static unsigned int
explain_caps(const char *name)
{
	unsigned int found = 0;

	if (!has_cap(CAP_NET_ADMIN)) {
		DPX_ERR("port %s: dpx lacks CAP_NET_ADMIN, needed to attach "
			"an XDP program to an interface", name);
		found++;
	}
	if (!has_cap(CAP_BPF) && !has_cap(CAP_SYS_ADMIN)) {
		DPX_ERR("port %s: dpx lacks CAP_BPF (or CAP_SYS_ADMIN), "
			"needed to load the XDP program and its socket map",
			name);
		found++;
	}
	return found;
}

/* The kernel's AF_XDP and XDP support and dpx's privileges for them. */
static unsigned int
explain_kernel(const char *name)
{
	unsigned int found = explain_socket(name) + explain_caps(name);
	int rc;

	if (found > 0)
		return found;
	rc = xdp_prog_try();
	if (rc == 0)
		return 0;
	if (rc == -ENOSYS)
		DPX_ERR("port %s: this kernel has no bpf() system call "
			"(CONFIG_BPF_SYSCALL)", name);
	else if (rc == -EPERM)
		DPX_ERR("port %s: the kernel refuses dpx an XDP program "
			"(EPERM: capabilities, or a security module)", name);
	else
		DPX_ERR("port %s: this kernel does not load an XDP program "
			"(%s): CONFIG_XDP? BPF JIT?", name, strerror(-rc));
	return 1;
}

/* Each RX queue registers the whole mbuf pool as AF_XDP UMEM, which the
 * kernel charges to RLIMIT_MEMLOCK unless dpx has CAP_IPC_LOCK. */
static unsigned int
explain_memlock(const struct dpx_net *net, const char *name)
{
	const struct rte_mempool *mp = net->pools[net->worker_socket[0]];
	uint64_t pool, need = 0;
	struct rlimit rl;

	if (mp == NULL || has_cap(CAP_IPC_LOCK) ||
	    getrlimit(RLIMIT_MEMLOCK, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return 0;
	pool = (uint64_t)mp->populated_size *
	       rte_mempool_calc_obj_size(mp->elt_size, mp->flags, NULL);
	for (unsigned int i = 0; i < net->cfg->n_ports; i++)
		if (net_xdp_device(net->cfg->ports[i].device))
			need += net->n_workers * pool;
	if (need <= rl.rlim_cur)
		return 0;
	DPX_ERR("port %s: the locked-memory limit (RLIMIT_MEMLOCK, ulimit -l) "
		"is %llu kB, and the AF_XDP queues register about %llu kB of "
		"mbufs with the kernel: raise it (ulimit -l unlimited) or give "
		"dpx CAP_IPC_LOCK", name, (unsigned long long)rl.rlim_cur >> 10,
		(unsigned long long)need >> 10);
	return 1;
}

/* The interface's MTU must fit a frame of the PMD (else the kernel
 * refuses the XDP program: for a veth, the peer's MTU counts too). */
static unsigned int
explain_mtu(const char *name, const char *ifname)
{
	struct ifreq ifr;

	if (if_ioctl(ifname, SIOCGIFMTU, &ifr) != 0 ||
	    (unsigned int)ifr.ifr_mtu <= pmd_max_mtu())
		return 0;
	DPX_ERR("port %s: %s has MTU %d; an AF_XDP frame of this PMD holds "
		"an MTU of at most %u: lower it (ip link set %s mtu 1500, and "
		"on a veth its peer too)", name, ifname, ifr.ifr_mtu,
		pmd_max_mtu(), ifname);
	return 1;
}

/* The fill ring of every RX queue holds NET_XDP_FILL_MBUFS mbufs. */
static unsigned int
explain_mbufs(const struct dpx_net *net, const char *name)
{
	const struct rte_mempool *mp = net->pools[net->worker_socket[0]];

	if (mp == NULL || rte_mempool_avail_count(mp) >= NET_XDP_FILL_MBUFS)
		return 0;
	DPX_ERR("port %s: the mbuf pool has %u mbufs left, and the af_xdp "
		"PMD fills each RX queue's fill ring with %u: raise "
		"mbufs_per_worker (or leave it out: dpx then counts them)", name,
		rte_mempool_avail_count(mp), NET_XDP_FILL_MBUFS);
	return 1;
}

void
net_xdp_explain(const struct dpx_net *net, const struct dpx_port_conf *pc,
		const char *args)
{
	struct xdp_args a;
	unsigned int found = 0;

	if (xdp_args_parse(args, &a) != 0) {
		DPX_ERR("port %s: devargs \"%s\" are not key=value pairs "
			"separated by commas", pc->name, args);
		return;
	}
	if (a.iface[0] == '\0') {
		DPX_ERR("port %s: no iface= in the devargs of %s: name the "
			"kernel interface dpx should drive", pc->name,
			pc->device);
		return;
	}
	if (if_nametoindex(a.iface) == 0) {
		DPX_ERR("port %s: interface %s does not exist in dpx's network "
			"namespace (ip link show %s; dpx sees the interfaces of "
			"the namespace it runs in)", pc->name, a.iface, a.iface);
		return;
	}
	found += explain_queues(pc->name, &a, net->n_workers);
	found += explain_kernel(pc->name);
	found += explain_memlock(net, pc->name);
	found += explain_mtu(pc->name, a.iface);
	found += explain_mbufs(net, pc->name);
	if (found == 0)
		DPX_ERR("port %s: dpx found no cause; the af_xdp PMD's messages "
			"above may say (more of them with EAL --log-level="
			"pmd.net.af_xdp:debug). Is another XDP program attached to "
			"%s (ip link show %s)?", pc->name, a.iface, a.iface);
}

const char *
net_dev_args(const struct rte_eth_dev_info *info)
{
	const struct rte_devargs *da = rte_dev_devargs(info->device);

	return da != NULL && da->args != NULL ? da->args : "";
}

/* Queue count against the workers and the interface's queues. */
static int
check_queues(const struct dpx_net *net, const struct dpx_port *p,
	     const char *ifname, int start, unsigned int bound)
{
	const char *name = p->conf->name;
	int rxq = if_rx_queues(ifname);
	int end = start + (int)net->n_workers;

	if (bound != net->n_workers &&
	    pmd_max_queues(ifname) < (int)net->n_workers) {
		DPX_ERR("port %s: %s binds %u queue(s) of %s, but dpx runs %u "
			"worker(s), each polling its own queue, and %s's af_xdp "
			"PMD binds at most %d queue(s) there%s", name,
			p->conf->device, bound, ifname, net->n_workers,
			rte_version(), pmd_max_queues(ifname),
			if_is_veth(ifname) ? " (a veth has no combined channels, "
			"which is what it counts): run one worker" :
			": ethtool -L IFACE combined N, or fewer workers");
		return -EINVAL;
	}
	if (bound != net->n_workers) {
		DPX_ERR("port %s: %s binds %u queue(s) of %s (devargs "
			"queue_count), but dpx runs %u worker(s), each polling "
			"its own queue: give queue_count=%u", name,
			p->conf->device, bound, ifname, net->n_workers,
			net->n_workers);
		return -EINVAL;
	}
	if (start == 0 && end >= rxq)
		return 0;
	/* The XDP program passes packets of queues without a socket to the
	 * kernel: on a veth nothing steers traffic, so that is lost. */
	if (if_is_veth(ifname)) {
		DPX_ERR("port %s: %s has %d RX queue(s) and dpx binds %d..%d: "
			"packets on the others go to the kernel, not to dpx. "
			"Create the veth with exactly %u queue(s) (ip link add "
			"%s numrxqueues %u numtxqueues %u type veth ...) and "
			"start_queue=0", name, ifname, rxq, start, end - 1,
			net->n_workers, ifname, net->n_workers, net->n_workers);
		return -EINVAL;
	}
	DPX_WARN("port %s: %s has %d RX queue(s) and dpx binds %d..%d: "
		 "packets on the others reach the kernel, not dpx (steer dpx's "
		 "traffic there, e.g. ethtool -N, or ethtool -L %s combined %u)",
		 name, ifname, rxq, start, end - 1, ifname, net->n_workers);
	return 0;
}

static int
check_mtu(const struct dpx_port *p, const struct rte_eth_dev_info *info,
	  const char *ifname)
{
	const char *name = p->conf->name;
	struct ifreq ifr;

	if (p->mtu > info->max_mtu) {
		DPX_ERR("port %s: mtu %u is more than an AF_XDP frame of this "
			"PMD holds (%u: a packet, its mbuf header and the "
			"kernel's XDP headroom share one %d-byte page)", name,
			p->mtu, info->max_mtu, getpagesize());
		return -EINVAL;
	}
	if (if_ioctl(ifname, SIOCGIFMTU, &ifr) == 0 &&
	    (unsigned int)ifr.ifr_mtu < p->mtu) {
		DPX_ERR("port %s: %s has MTU %d, less than the port's mtu %u: "
			"the kernel would drop dpx's larger frames (ip link set "
			"%s mtu %u, and on a veth its peer too)", name, ifname,
			ifr.ifr_mtu, p->mtu, ifname, p->mtu);
		return -EINVAL;
	}
	return 0;
}

static int
check_up(const struct dpx_port *p, const char *ifname)
{
	struct ifreq ifr;

	if (if_ioctl(ifname, SIOCGIFFLAGS, &ifr) != 0)
		return 0;
	if (!(ifr.ifr_flags & IFF_UP)) {
		DPX_ERR("port %s: %s is down: ip link set %s up", p->conf->name,
			ifname, ifname);
		return -EINVAL;
	}
	if (!(ifr.ifr_flags & IFF_RUNNING))
		DPX_WARN("port %s: %s has no carrier (a veth: is its peer "
			 "up?); dpx starts anyway", p->conf->name, ifname);
	return 0;
}

int
net_xdp_check(const struct dpx_net *net, const struct dpx_port *p,
	      const struct rte_eth_dev_info *info)
{
	struct xdp_args a;
	char ifname[IF_NAMESIZE];
	int rc;

	if (if_indextoname(info->if_index, ifname) == NULL) {
		DPX_ERR("port %s: the interface of %s (index %u) is gone",
			p->conf->name, p->conf->device, info->if_index);
		return -ENODEV;
	}
	if (xdp_args_parse(net_dev_args(info), &a) != 0)
		a.start_queue = 0;
	rc = check_queues(net, p, ifname, a.start_queue,
			  info->max_rx_queues);
	if (rc == 0)
		rc = check_mtu(p, info, ifname);
	if (rc == 0)
		rc = check_up(p, ifname);
	return rc;
}

#if RTE_VERSION < RTE_VERSION_NUM(24, 7, 0, 0)
/* The memory DPDK 22.11's PMD registers as UMEM for a pool: from the page
 * of its first object on, populated_size objects back to back. */
struct pool_span {
	uintptr_t base, end;
	size_t stride;
	unsigned int outside;
};

static void
obj_outside(struct rte_mempool *mp, void *arg, void *obj, unsigned int idx)
{
	struct pool_span *sp = arg;
	uintptr_t start = (uintptr_t)obj - mp->header_size;

	(void)idx;
	if (start < sp->base || start + sp->stride > sp->end)
		sp->outside++;
}
#endif

int
net_xdp_pool_check(struct rte_mempool *mp)
{
#if RTE_VERSION < RTE_VERSION_NUM(24, 7, 0, 0)
	const struct rte_mempool_memhdr *mh = STAILQ_FIRST(&mp->mem_list);
	struct pool_span sp = {
		.stride = rte_mempool_calc_obj_size(mp->elt_size, mp->flags,
						    NULL),
	};

	sp.base = (uintptr_t)mh->addr & ~((uintptr_t)getpagesize() - 1);
	sp.end = (uintptr_t)mh->addr + mp->populated_size * sp.stride;
	rte_mempool_obj_iter(mp, obj_outside, &sp);
	if (sp.outside == 0)
		return 0;
	DPX_ERR("mbuf pool %s: %u of its %u mbufs lie outside the memory %s's "
		"af_xdp PMD registers with the kernel (it assumes them back to "
		"back, DPDK 24.07 does not): the kernel would refuse them and "
		"RX would stall. Run with IOVA as VA (EAL --iova-mode=va; dpx "
		"then packs the pool)", mp->name, sp.outside,
		mp->populated_size, rte_version());
	return -EINVAL;
#else
	(void)mp;
	return 0;
#endif
}

/* "copy mode" or "zero copy", as the kernel bound the queue's socket. */
static const char *
xsk_mode(int fd)
{
	struct xdp_options opt = { 0 };
	socklen_t len = sizeof(opt);

	if (fd < 0 || getsockopt(fd, SOL_XDP, XDP_OPTIONS, &opt, &len) != 0)
		return "mode unknown";
	return (opt.flags & XDP_OPTIONS_ZEROCOPY) ? "zero copy" :
	       "copy mode (the kernel copies every packet)";
}

/* The PMD's busy polling of the queue's socket: the kernel tells
 * whether it is on, the devargs its budget (the PMD's default is 64). */
static void
xsk_busy(int fd, int budget, char *out, size_t len)
{
	int prefer = 0;
	socklen_t l = sizeof(prefer);

	if (fd < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &prefer, &l) != 0)
		snprintf(out, len, "busy polling unknown");
	else if (!prefer)
		snprintf(out, len, "no busy polling (an empty RX poll makes "
			 "no system call)");
	else
		snprintf(out, len, "preferred busy polling, busy_budget %d (a "
			 "recvfrom() per empty RX poll)", budget);
}

void
net_xdp_describe(const struct dpx_net *net, const struct dpx_port *p)
{
	struct rte_eth_dev_info info;
	struct xdp_args a;
	char ifname[IF_NAMESIZE], drv[32], busy[128];

	if (rte_eth_dev_info_get(p->port_id, &info) != 0 ||
	    if_indextoname(info.if_index, ifname) == NULL)
		return;
	if (xdp_args_parse(net_dev_args(&info), &a) != 0)
		a.start_queue = 0;
	if_driver(ifname, drv, sizeof(drv));
	xsk_busy(p->xdp_fd[0], a.busy_budget, busy, sizeof(busy));
	DPX_INFO("port %s: link AF_XDP on %s (driver %s), queue(s) %d..%u, "
		 "%s, %s, %u mbufs per queue in the fill ring", p->conf->name,
		 ifname, drv, a.start_queue, a.start_queue + net->n_workers - 1,
		 xsk_mode(p->xdp_fd[0]), busy, NET_XDP_FILL_MBUFS);
}

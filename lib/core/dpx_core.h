/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpx core: the validated configuration (loaded from one JSON file with
 * Jansson, every error reported as file:line:column plus key path), and
 * logging. Nothing here depends on DPDK, so `dpx --check-config` and the
 * unit tests run without EAL. The config is built once by the control plane
 * and is read-only afterwards.
 */
#ifndef DPX_CORE_H
#define DPX_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DPX_MAX_PORTS 8
#define DPX_MAX_ADDRS 8   /* IPv4 addresses per port */
#define DPX_MAX_WORKERS 64
#define DPX_MAX_LISTENERS 32
#define DPX_NAME_LEN 64
#define DPX_DEVARGS_LEN 256
#define DPX_ERR_LEN 512
#define DPX_MAX_POOLS 16
#define DPX_MAX_SERVERS 64      /* per pool */
#define DPX_MAX_ROUTES 128      /* all listeners together */
#define DPX_MAX_HDR_EDITS 4     /* per route and list (set/remove, req/resp) */
#define DPX_HOST_LEN 256        /* route host patterns, health-check Host */
#define DPX_PATH_LEN 256        /* route path prefixes, health-check path */
#define DPX_HDR_VALUE_LEN 256

enum dpx_log_level {
	DPX_LOG_ERR = 0,
	DPX_LOG_WARN,
	DPX_LOG_INFO,
	DPX_LOG_DEBUG,
};

enum dpx_idle_mode {
	DPX_IDLE_ADAPTIVE = 0, /* back off after empty polls: leaves CPU to peers */
	DPX_IDLE_POLL,         /* busy poll: lowest latency, one full core each */
};

/* An IPv4 interface address; all addresses are in host byte order. */
struct dpx_ipv4_prefix {
	uint32_t addr;
	uint8_t len;
};

/* Per-direction fault probabilities, each in [0, 1]. */
struct dpx_fault_dir {
	double drop;
	double duplicate;
	double reorder;
	double delay;
};

/* Test-only fault injection on one port; off unless "fault" is present. */
struct dpx_fault_conf {
	bool enabled;
	uint64_t seed;
	uint32_t delay_us;      /* how long a delayed packet is held */
	struct dpx_fault_dir rx;
	struct dpx_fault_dir tx;
};

struct dpx_port_conf {
	char name[DPX_NAME_LEN];        /* for logs and stats; defaults to device */
	char device[DPX_NAME_LEN];      /* DPDK device name or PCI address */
	char devargs[DPX_DEVARGS_LEN];  /* optional: vdev arguments for hot-plug */
	struct dpx_ipv4_prefix addrs[DPX_MAX_ADDRS];
	unsigned int n_addrs;
	uint32_t gateway;               /* 0 when none */
	uint16_t mtu;
	uint16_t rx_desc;
	uint16_t tx_desc;
	struct dpx_fault_conf fault;
};

struct dpx_arp_conf {
	uint32_t max_entries;       /* per worker, power of two */
	uint32_t timeout_ms;        /* a resolved entry is refreshed after this */
	uint32_t retry_ms;          /* request retransmit interval */
	uint32_t retries;           /* requests before giving up on a neighbour */
	uint32_t max_pending;       /* packets queued per unresolved neighbour */
};

/* What a listener serves; values index the names in config.c. */
enum dpx_listener_mode {
	DPX_LISTEN_ECHO = 0,    /* TCP echo service */
	DPX_LISTEN_STATIC = 1,  /* built-in HTTP/1.1 responder (tests, benchmarks) */
	DPX_LISTEN_HTTP = 2,    /* HTTP/1.1 reverse proxy to pools */
	DPX_LISTEN_TCP = 3,     /* L4 proxy: each connection spliced to a server */
	DPX_LISTEN_FORWARD = 4, /* HTTP forward proxy (curl -x): any origin */
	DPX_LISTEN_UDP_ECHO = 5, /* UDP echo service (lib/udp through lib/svc) */
};

/* What a forward listener tells origins about its clients ("anonymity"). */
enum dpx_anonymity {
	DPX_ANON_TRANSPARENT = 0, /* Via, X-Forwarded-For and Forwarded */
	DPX_ANON_ANONYMOUS = 1,   /* Via only; client address fields removed */
	DPX_ANON_ELITE = 2,       /* nothing; Via and address fields removed */
};

#define DPX_FWD_MAX_PORTS 16    /* connect_ports */
#define DPX_FWD_MAX_STRIP 16    /* strip_headers */
#define DPX_EGRESS_MAX 8        /* egress.addresses */

/* How a forward listener picks the source address of an origin
 * connection among its egress addresses (lib/proxy/egress.c). */
enum dpx_egress_policy {
	DPX_EGRESS_ROUND_ROBIN = 0,     /* per worker, per new request */
	DPX_EGRESS_RANDOM = 1,
	DPX_EGRESS_STICKY_CLIENT = 2,   /* hash of the client address */
	DPX_EGRESS_STICKY_DEST = 3,     /* hash of "host:port" */
	DPX_EGRESS_PER_USER = 4,        /* the user's; else round robin */
};

/* A forward listener's "egress": n_addrs 0 means the route's address. */
struct dpx_egress_conf {
	uint32_t addrs[DPX_EGRESS_MAX];     /* host order */
	unsigned int n_addrs;
	unsigned int port;                  /* the port that has them all */
	enum dpx_egress_policy policy;
};

/* A static name of a forward listener's "hosts" map. */
struct dpx_forward_host {
	char name[DPX_HOST_LEN];    /* lower case, no trailing dot */
	uint32_t addr;              /* host order */
};

/* The settings of a "mode": "forward" listener; allocated by the loader
 * (hosts has n_hosts entries), freed by dpx_config_release(). */
struct dpx_forward_conf {
	unsigned int pool;          /* the pool its connections count in */
	enum dpx_anonymity anonymity;
	uint16_t connect_ports[DPX_FWD_MAX_PORTS];
	unsigned int n_connect_ports;
	char user_agent[DPX_HDR_VALUE_LEN]; /* "": the client's passes */
	char strip_headers[DPX_FWD_MAX_STRIP][DPX_NAME_LEN];
	unsigned int n_strip_headers;
	uint32_t tunnel_idle_timeout_ms;
	struct dpx_egress_conf egress;
	int auth;                   /* "auth": index in the top-level "auth"
				     * section (lib/auth); -1: none */
	int acl;                    /* "acl": index in the "acls" section, -1 */
	unsigned int n_hosts;
	struct dpx_forward_host hosts[];
};

/* How the client address is passed to servers ("forwarded" option). */
enum dpx_forwarded {
	DPX_FWD_XFF = 0,        /* X-Forwarded-For/-Proto/-Host (default) */
	DPX_FWD_RFC7239 = 1,    /* Forwarded: for=..;proto=..;host=.. */
	DPX_FWD_BOTH = 2,
	DPX_FWD_NONE = 3,
};

/* What happens to the Server header of responses ("server_header"). */
enum dpx_server_header {
	DPX_SRVHDR_HIDE = 0,    /* removed (default); X-Powered-By too */
	DPX_SRVHDR_PASS = 1,    /* passed as the server sent it */
	DPX_SRVHDR_REPLACE = 2, /* replaced by server_header_value */
};

/* HTTP settings of a "mode": "http" listener (its "http" object). */
struct dpx_http_conf {
	uint32_t max_line;          /* request line / header line, bytes */
	uint32_t max_headers;       /* header fields, <= 100 */
	uint32_t max_head;          /* whole request head, bytes */
	uint64_t max_body;          /* request body bytes; 0 = unlimited */
	enum dpx_forwarded forwarded;
	bool via;                   /* add "Via: 1.1 dpx" both ways */
	enum dpx_server_header server_header;
	char server_header_value[DPX_HDR_VALUE_LEN];
};

/* One header set (replace or add) by a route. */
struct dpx_hdr_set {
	char name[DPX_NAME_LEN];
	char value[DPX_HDR_VALUE_LEN];
};

/* Header edits of a route, applied after dpx's own header handling. */
struct dpx_hdr_edits {
	struct dpx_hdr_set set[DPX_MAX_HDR_EDITS];
	unsigned int n_set;
	char remove[DPX_MAX_HDR_EDITS][DPX_NAME_LEN];
	unsigned int n_remove;
};

/*
 * One routing rule of an HTTP listener. Rules are tried in order; the first
 * whose host and path match picks the pool. host "" matches any Host;
 * "*.example.com" matches any name ending in ".example.com" (not the bare
 * "example.com"); otherwise the match is exact (case-insensitive, a port
 * in the Host value is ignored). path_prefix "" matches every path.
 * The loader stores host in lower case.
 */
struct dpx_route_conf {
	char host[DPX_HOST_LEN];
	char path_prefix[DPX_PATH_LEN];
	unsigned int pool;          /* index into dpx_config.pools */
	struct dpx_hdr_edits request;
	struct dpx_hdr_edits response;
	int8_t cache;               /* "cache": 1 on, 0 off, -1 the listener's */
	void *cache_rules;          /* "cache" as an object: lib/cache's struct
				     * dpx_cache_route (TTLs); NULL */
};

/* A tcp listener's route by the SNI of the ClientHello (no decryption). */
#define DPX_MAX_SNI_ROUTES 16
struct dpx_sni_route {
	char name[DPX_HOST_LEN];    /* "www.example.com" or "*.example.com" */
	unsigned int pool;
};

struct dpx_listener_conf {
	char name[DPX_NAME_LEN];    /* defaults to "listener<index>" */
	uint32_t addr;              /* host order; 0 = every address of every port */
	uint16_t port;              /* host order, 1..65535 */
	enum dpx_listener_mode mode;
	uint32_t backlog;           /* SYN backlog bound per worker */
	/* Proxy modes (http, tcp) only: */
	int pool;                   /* default pool index; -1: none (http: 503) */
	unsigned int first_route;   /* routes[first_route .. +n_routes) (http) */
	unsigned int n_routes;
	uint32_t max_connections;   /* whole listener, all workers; 0 = none */
	uint32_t max_connections_per_ip; /* per client address; 0 = none */
	uint32_t client_timeout_ms; /* head (slowloris) / body stall / tcp idle */
	uint32_t idle_timeout_ms;   /* keep-alive wait for the next request */
	bool access_log;            /* one line per request/connection */
	bool cache;                 /* http: responses go through the cache */
	void *compression;          /* http: lib/compress's conf; NULL */
	struct dpx_http_conf http;  /* mode http only; defaults otherwise */
	void *tls;                  /* lib/tls's struct dpx_tls_conf; NULL:
				     * plain TCP (see dpx_config_release()) */
	struct dpx_forward_conf *forward;   /* mode forward only; else NULL */
	unsigned int n_sni_routes;  /* tcp: route by SNI; pool is the default */
	struct dpx_sni_route sni_routes[DPX_MAX_SNI_ROUTES];
};

/* Load-balancing algorithm of a pool ("balance"). */
enum dpx_lb_algo {
	DPX_LB_ROUNDROBIN = 0,  /* smooth weighted round robin */
	DPX_LB_LEASTCONN = 1,   /* fewest active connections / weight */
	DPX_LB_RANDOM = 2,      /* power of two random choices, by load */
	DPX_LB_HASH = 3,        /* consistent hashing (Maglev) on hash_key */
};

enum dpx_hash_key {
	DPX_HASH_SOURCE = 0,    /* client IPv4 address */
	DPX_HASH_URI = 1,       /* request target (path and query) */
	DPX_HASH_HEADER = 2,    /* value of header hash_name */
	DPX_HASH_COOKIE = 3,    /* value of cookie hash_name */
};

enum dpx_health_type {
	DPX_HEALTH_NONE = 0,    /* no active checks: servers count as up */
	DPX_HEALTH_TCP = 1,     /* a TCP connect that completes is a pass */
	DPX_HEALTH_HTTP = 2,    /* GET path; expect_status (and expect_body) */
};

struct dpx_health_conf {
	enum dpx_health_type type;
	uint32_t interval_ms;
	uint32_t timeout_ms;        /* < interval_ms */
	uint32_t rise;              /* consecutive passes to mark up */
	uint32_t fall;              /* consecutive failures to mark down */
	char path[DPX_PATH_LEN];    /* http: request target, default "/" */
	char host[DPX_HOST_LEN];    /* http: Host header, default server addr */
	uint16_t expect_status;     /* http: 0 = any 2xx or 3xx */
	char expect_body[DPX_HDR_VALUE_LEN]; /* http: substring of the body */
};

struct dpx_server_conf {
	char name[DPX_NAME_LEN];    /* defaults to "ADDR:PORT" */
	uint32_t addr;              /* host order */
	uint16_t port;
	uint32_t weight;            /* 1..256, default 1 */
	uint32_t max_connections;   /* whole process; 0 = no limit */
};

struct dpx_pool_conf {
	char name[DPX_NAME_LEN];
	enum dpx_lb_algo balance;
	enum dpx_hash_key hash_key;
	char hash_name[DPX_NAME_LEN]; /* header or cookie name */
	struct dpx_server_conf servers[DPX_MAX_SERVERS];
	unsigned int n_servers;
	struct dpx_health_conf health;
	uint32_t slow_start_ms;     /* weight ramps up after recovery; 0 off */
	uint32_t max_fails;         /* passive: consecutive failures eject; 0 off */
	uint32_t eject_ms;          /* passive: how long an ejected server rests */
	uint32_t keepalive_max_idle; /* idle server conns kept per worker+server */
	uint32_t keepalive_idle_ms; /* an idle server conn is closed after this */
	uint32_t queue_max;         /* requests waiting for a max_connections slot */
	uint32_t queue_timeout_ms;  /* then 503 */
	uint32_t retries;           /* extra connect attempts on other servers */
	uint32_t connect_timeout_ms;
	uint32_t response_timeout_ms; /* server silent this long: 504 */
	void *tls;                  /* "tls": lib/tls's client conf; NULL */
};

/* "access_log": where per-request lines go (written by the main lcore). */
struct dpx_access_log_conf {
	char path[1024];            /* "" = standard output */
};

enum dpx_cc_algo {
	DPX_CC_NEWRENO = 0,
	DPX_CC_CUBIC = 1,
};

enum dpx_syn_cookies {
	DPX_SYNCOOKIE_AUTO = 0,   /* only when the SYN backlog is full */
	DPX_SYNCOOKIE_ALWAYS = 1,
	DPX_SYNCOOKIE_NEVER = 2,
};

/* TCP stack settings; "per worker" limits apply to each worker lcore. */
struct dpx_tcp_conf {
	enum dpx_cc_algo congestion;
	uint32_t rcvbuf;            /* bytes, receive buffer limit per connection */
	uint32_t sndbuf;            /* bytes, send buffer limit per connection */
	uint32_t max_connections;   /* per worker */
	enum dpx_syn_cookies syn_cookies;
	uint32_t time_wait_ms;      /* 0: no TIME_WAIT (tests only) */
	uint32_t max_time_wait;     /* per worker; oldest reused beyond it */
	uint32_t rto_min_ms;
	uint32_t rto_max_ms;        /* >= rto_min_ms */
	uint32_t rto_initial_ms;
	uint32_t delayed_ack_ms;    /* 0: delayed ACK disabled */
	bool keepalive;             /* keepalive.enabled */
	uint32_t keepalive_idle_ms;
	uint32_t keepalive_interval_ms;
	uint32_t keepalive_probes;
	uint32_t ooo_max_segments;  /* out-of-order queue bound per connection */
	bool sack;
	bool timestamps;
	bool window_scaling;
	uint16_t mss_clamp;         /* 0: derive from each port's MTU (MTU - 40) */
};

struct dpx_config {
	char path[1024];
	struct dpx_port_conf ports[DPX_MAX_PORTS];
	unsigned int n_ports;
	/* Worker lcores; with "workers": N they are the first N lcores after
	 * the main lcore, resolved at start (lcore_ids stays empty). */
	unsigned int n_workers;
	unsigned int lcore_ids[DPX_MAX_WORKERS];
	bool lcores_explicit;
	enum dpx_idle_mode idle;
	uint32_t idle_spin_us;      /* adaptive: busy-poll this long, then sleep */
	enum dpx_log_level log_level;
	struct dpx_arp_conf arp;
	uint32_t mbufs_per_worker;  /* 0: computed from descriptor counts */
	struct dpx_listener_conf listeners[DPX_MAX_LISTENERS];
	unsigned int n_listeners;
	struct dpx_tcp_conf tcp;    /* defaults filled even without "tcp" */
	struct dpx_pool_conf pools[DPX_MAX_POOLS];
	unsigned int n_pools;
	struct dpx_route_conf routes[DPX_MAX_ROUTES];
	unsigned int n_routes;
	struct dpx_access_log_conf access_log;
	void *cache;                /* "cache": lib/cache's section; NULL */
	void *resolver;             /* "resolver": lib/dns's section; NULL */
	void *acls;                 /* "acls": lib/acl's section; NULL */
	void *auth;                 /* "auth": lib/auth's section; NULL */
};

/*
 * Where a worker's time goes (VPP's "show runtime" is the model). The loop
 * is cut into stages; the TSC is read once per stage change and once per
 * pass, never per packet. A pass that found nothing to do counts whole as
 * idle, so busy cycles / requests is the cost of a request at any load.
 */
enum dpx_stage {
	DPX_STAGE_RX = 0,   /* PMD receive bursts */
	DPX_STAGE_NET,      /* Ethernet, ARP, IPv4, ICMP, dispatch */
	DPX_STAGE_TCP,      /* segment input and output */
	DPX_STAGE_APP,      /* the application: proxy, HTTP, services */
	DPX_STAGE_TIMERS,   /* timer wheel callbacks, ARP aging */
	DPX_STAGE_TX,       /* PMD transmit bursts */
	DPX_STAGE_MAX
};

/* Plain per-worker counters: only the owner writes, readers sum. */
struct dpx_runtime {
	uint64_t cycles[DPX_STAGE_MAX]; /* busy passes only */
	uint64_t idle_cycles;      /* empty passes and sleeps */
	uint64_t loops;
	uint64_t busy_loops;
	uint64_t rx_packets;       /* from ports and peer workers */
	uint64_t rx_bursts;        /* non-empty receive bursts */
	uint64_t sleeps;           /* idle: times the worker slept */
	uint64_t wakeups_rx;       /* ... and was woken by a queue */
	uint64_t last_busy;        /* TSC at the end of the last busy pass */
	uint64_t mark;             /* TSC of the last stage change */
	uint8_t stage;             /* stage charged since mark */
	bool busy;                 /* this pass did work */
};

struct dpx_net_worker;
struct dpx_tcp_worker;
struct dpx_udp_worker;
struct dpx_svc_worker;
struct dpx_proxy_worker;

/*
 * Per-worker (per-lcore) context, passed explicitly down every call on the
 * data path. Each layer keeps its own state behind its pointer; a worker
 * never touches another worker's state.
 */
struct dpx_worker {
	unsigned int index;        /* 0 .. n_workers-1, also the queue id */
	unsigned int lcore_id;
	const struct dpx_config *cfg;
	struct dpx_net_worker *net; /* lib/net: ports, ARP cache, counters */
	struct dpx_tcp_worker *tcp; /* lib/tcp: connections, timers */
	struct dpx_udp_worker *udp; /* lib/udp: bound ports, counters */
	struct dpx_svc_worker *svc; /* lib/svc: built-in test services */
	struct dpx_proxy_worker *proxy; /* lib/proxy: sessions, servers */
	struct dpx_runtime rt;     /* cycle accounting (lib/net's loop) */
};

/*
 * Load and validate FILE into *cfg. On failure returns -1 and writes one
 * line into err ("FILE:LINE:COL: key.path: message").
 */
int dpx_config_load(const char *file, struct dpx_config *cfg,
		    char *err, size_t errlen);

/* Same, from a buffer; name is used in messages. Used by tests and fuzzing. */
int dpx_config_load_buffer(const char *name, const char *text, size_t len,
			   struct dpx_config *cfg, char *err, size_t errlen);
/* Releases what modules' sections allocated (listeners' "tls"); cfg stays
 * valid as a plain configuration. A failed load has released it already. */
void dpx_config_release(struct dpx_config *cfg);

/* "198.18.0.1/24" -> prefix; returns 0 or -1. Exposed for unit tests. */
int dpx_parse_ipv4_prefix(const char *s, struct dpx_ipv4_prefix *out);
/* "a.b.c.d/len" (len 0 to 32) or "a.b.c.d" (len 32) -> host-order address
 * and length, host bits as written (the caller's rule); returns 0 or -1. */
int dpx_parse_ipv4_net(const char *s, uint32_t *addr, uint8_t *len);
/* Dotted quad -> host-order address; returns 0 or -1. */
int dpx_parse_ipv4(const char *s, uint32_t *out);
/* Host-order address -> dotted quad in buf (at least 16 bytes). */
const char *dpx_ipv4_str(uint32_t addr, char *buf, size_t len);

int dpx_log_level_parse(const char *s, enum dpx_log_level *out);
void dpx_log_set_level(enum dpx_log_level level);
enum dpx_log_level dpx_log_get_level(void);
void dpx_log(enum dpx_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define DPX_ERR(...)   dpx_log(DPX_LOG_ERR, __VA_ARGS__)
#define DPX_WARN(...)  dpx_log(DPX_LOG_WARN, __VA_ARGS__)
#define DPX_INFO(...)  dpx_log(DPX_LOG_INFO, __VA_ARGS__)
#define DPX_DEBUG(...) dpx_log(DPX_LOG_DEBUG, __VA_ARGS__)

#endif /* DPX_CORE_H */

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/core: IPv4 parsers, log levels, the JSON locator and
 * every config validation rule (via dpx_config_load_buffer), checking the
 * exact "t.json:LINE:COL: key.path: message" parts of each error.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#include "dpx_core.h"
#include "json_locate.h"
#include "dpx_test.h"

static struct dpx_config cfg;
static char err[DPX_ERR_LEN];
static char text[16384];

/* A valid port object, used to build configs. */
#define PORT0 "{\"device\":\"net_tap0\",\"addresses\":[\"198.18.0.1/24\"]}"
#define PORT1 "{\"device\":\"net_tap1\",\"addresses\":[\"198.18.1.1/24\"]}"

static int load(const char *t)
{
	return dpx_config_load_buffer("t.json", t, strlen(t), &cfg, err,
				      sizeof(err));
}

/* Build text from a format (configs with a varying piece). */
static const char *fmt(const char *f, ...)
	__attribute__((format(printf, 1, 2)));
static const char *fmt(const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vsnprintf(text, sizeof(text), f, ap);
	va_end(ap);
	return text;
}

/* One port with extra members appended, e.g. port_with("\"mtu\":9"). */
static const char *port_with(const char *extra)
{
	return fmt("{\"ports\":[{\"device\":\"net_tap0\","
		   "\"addresses\":[\"198.18.0.1/24\"],%s}]}", extra);
}

/* "t.json:LINE:COL:" of the n-th (0-based) occurrence of needle in t. */
static const char *pos_of(const char *t, const char *needle, int nth)
{
	static char buf[64];
	const char *p = strstr(t, needle);
	unsigned int line = 1, col = 1;

	while (p != NULL && nth-- > 0)
		p = strstr(p + 1, needle);
	if (p == NULL)
		return "needle not found";
	for (const char *q = t; q < p; q++) {
		if (*q == '\n') {
			line++;
			col = 1;
		} else if ((*q & 0xC0) != 0x80) {
			col++;
		}
	}
	snprintf(buf, sizeof(buf), "t.json:%u:%u: ", line, col);
	return buf;
}

/* Load t: must fail, at the nth occurrence of `at`, with both fragments. */
#define EXPECT_ERR_AT(t, at, nth, frag1, frag2) do { \
	const char *_t = (t); \
	CHECK_EQ(load(_t), -1); \
	CHECK_STR_CONTAINS(err, pos_of(_t, (at), (nth))); \
	CHECK_STR_CONTAINS(err, (frag1)); \
	CHECK_STR_CONTAINS(err, (frag2)); \
} while (0)

#define EXPECT_ERR(t, frag1, frag2) do { \
	CHECK_EQ(load(t), -1); \
	CHECK_STR_CONTAINS(err, (frag1)); \
	CHECK_STR_CONTAINS(err, (frag2)); \
} while (0)

#define EXPECT_OK(t) do { \
	int _rc = load(t); \
	CHECK_EQ(_rc, 0); \
	if (_rc != 0) \
		fprintf(stderr, "  error: %s\n", err); \
} while (0)

/* ---------------------------------------------------------------------- */

static void test_parse_ipv4(void)
{
	static const char *const bad[] = {
		"", "1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.00", "1..2.3",
		"256.1.1.1", "+1.2.3.4", "-1.2.3.4", " 1.2.3.4", "1.2.3.4 ",
		"1.2.3.4/24", "1234.1.1.1", "0001.1.1.1", "1.2.3.", ".1.2.3",
		"1.2.3.4.", "a.b.c.d", "0x1.2.3.4", "1.2.3.4\n",
	};
	uint32_t a = 0;

	CHECK_EQ(dpx_parse_ipv4("198.18.0.1", &a), 0);
	CHECK_EQ(a, 0xC6120001u);
	CHECK_EQ(dpx_parse_ipv4("0.0.0.0", &a), 0);
	CHECK_EQ(a, 0);
	CHECK_EQ(dpx_parse_ipv4("255.255.255.255", &a), 0);
	CHECK_EQ(a, 0xFFFFFFFFu);
	CHECK_EQ(dpx_parse_ipv4("10.0.100.9", &a), 0);
	CHECK_EQ(a, 0x0A006409u);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a = 7;
		CHECK_EQ(dpx_parse_ipv4(bad[i], &a), -1);
		CHECK_EQ(a, 7);
	}
	CHECK_EQ(dpx_parse_ipv4(NULL, &a), -1);
	CHECK_EQ(dpx_parse_ipv4("1.2.3.4", NULL), -1);
}

static void test_parse_prefix(void)
{
	static const char *const bad[] = {
		"198.18.0.1", "198.18.0.1/", "198.18.0.1/0", "198.18.0.1/33",
		"198.18.0.1/024", "198.18.0.1/+4", "198.18.0.1/ 4",
		"198.18.0.1/4 ", "198.18.0.300/24", "198.18.0/24",
		"198.18.0.1/24/1", "/24", "198.18.0.01/24", "198.18.0.1/100",
		"198.18.0.1//24",
	};
	struct dpx_ipv4_prefix p = { 0, 0 };

	CHECK_EQ(dpx_parse_ipv4_prefix("198.18.0.1/24", &p), 0);
	CHECK_EQ(p.addr, 0xC6120001u);
	CHECK_EQ(p.len, 24);
	CHECK_EQ(dpx_parse_ipv4_prefix("10.1.2.3/1", &p), 0);
	CHECK_EQ(p.len, 1);
	CHECK_EQ(dpx_parse_ipv4_prefix("10.1.2.3/32", &p), 0);
	CHECK_EQ(p.len, 32);
	CHECK_EQ(p.addr, 0x0A010203u);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (dpx_parse_ipv4_prefix(bad[i], &p) != -1) {
			fprintf(stderr, "  accepted \"%s\"\n", bad[i]);
			CHECK(0);
		}
	}
	CHECK_EQ(dpx_parse_ipv4_prefix(NULL, &p), -1);
}

/* The network syntax acls and the cache's purge_allow share; host bits
 * are the callers' to judge. */
static void test_parse_net(void)
{
	static const char *const bad[] = {
		"", "/24", "198.18.0.1/", "198.18.0.1/33", "198.18.0.1/024",
		"198.18.0.1/04", "198.18.0.1/+4", "198.18.0.1/ 4",
		"198.18.0.1/4 ", "198.18.0.1/3x", "198.18.0.300/24",
		"198.18.0/24", "198.18.0.01", "198.18.0.1//24",
	};
	uint32_t a = 0;
	uint8_t len = 0;

	CHECK_EQ(dpx_parse_ipv4_net("198.18.0.1", &a, &len), 0);
	CHECK_EQ(a, 0xC6120001u);
	CHECK_EQ(len, 32);
	CHECK_EQ(dpx_parse_ipv4_net("198.18.0.1/24", &a, &len), 0);
	CHECK_EQ(a, 0xC6120001u);
	CHECK_EQ(len, 24);
	CHECK_EQ(dpx_parse_ipv4_net("0.0.0.0/0", &a, &len), 0);
	CHECK_EQ(a, 0u);
	CHECK_EQ(len, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (dpx_parse_ipv4_net(bad[i], &a, &len) != -1) {
			fprintf(stderr, "  accepted \"%s\"\n", bad[i]);
			CHECK(0);
		}
	}
	CHECK_EQ(dpx_parse_ipv4_net(NULL, &a, &len), -1);
}

static void test_ipv4_str(void)
{
	char buf[16], small[8];

	CHECK(strcmp(dpx_ipv4_str(0xC6120001u, buf, sizeof(buf)),
		     "198.18.0.1") == 0);
	CHECK(strcmp(dpx_ipv4_str(0xFFFFFFFFu, buf, sizeof(buf)),
		     "255.255.255.255") == 0);
	CHECK(strcmp(dpx_ipv4_str(0, buf, sizeof(buf)), "0.0.0.0") == 0);
	CHECK(strcmp(dpx_ipv4_str(0xC6120001u, small, sizeof(small)),
		     "198.18.") == 0);
	CHECK(strcmp(dpx_ipv4_str(1, NULL, 0), "") == 0);
}

static void test_log_level(void)
{
	enum dpx_log_level l = DPX_LOG_INFO;

	CHECK_EQ(dpx_log_level_parse("error", &l), 0);
	CHECK_EQ(l, DPX_LOG_ERR);
	CHECK_EQ(dpx_log_level_parse("warning", &l), 0);
	CHECK_EQ(l, DPX_LOG_WARN);
	CHECK_EQ(dpx_log_level_parse("info", &l), 0);
	CHECK_EQ(l, DPX_LOG_INFO);
	CHECK_EQ(dpx_log_level_parse("debug", &l), 0);
	CHECK_EQ(l, DPX_LOG_DEBUG);
	CHECK_EQ(dpx_log_level_parse("warn", &l), -1);
	CHECK_EQ(dpx_log_level_parse("INFO", &l), -1);
	CHECK_EQ(dpx_log_level_parse("", &l), -1);
	CHECK_EQ(dpx_log_level_parse(NULL, &l), -1);
	CHECK_EQ(l, DPX_LOG_DEBUG);
}

/* dpx_log output, captured by pointing fd 2 at a temporary file. */
static void test_log_output(void)
{
	char buf[512] = "";
	FILE *tmp = tmpfile();
	int saved = dup(2);
	size_t n;

	CHECK(tmp != NULL && saved >= 0);
	if (tmp == NULL || saved < 0)
		return;
	fflush(stderr);
	dup2(fileno(tmp), 2);
	dpx_log_set_level(DPX_LOG_WARN);
	CHECK_EQ(dpx_log_get_level(), DPX_LOG_WARN);
	DPX_ERR("boom %d", 1);
	DPX_WARN("careful\n");
	DPX_INFO("hidden");
	DPX_DEBUG("hidden too");
	dpx_log_set_level(DPX_LOG_DEBUG);
	DPX_DEBUG("shown %s", "now");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, sizeof(buf) - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
	CHECK(strcmp(buf, "dpx: error: boom 1\ndpx: warning: careful\n"
		     "dpx: debug: shown now\n") == 0);
	dpx_log_set_level(DPX_LOG_INFO);
	CHECK_EQ(dpx_log_get_level(), DPX_LOG_INFO);
}

/* ---------------------------------------------------------------------- */

static void test_locate(void)
{
	static const char t[] = "{\n  \"a\": [1, {\"b\": \"x\"}],\n"
				"  \"\\u00e9t\\u00E9\": {\"k\": true}\n}";
	const struct dpx_json_step ab[] = {
		{ .key = "a" }, { .index = 1 }, { .key = "b" } };
	const struct dpx_json_step ete[] = {
		{ .key = "\xc3\xa9t\xc3\xa9" }, { .key = "k" } };
	const struct dpx_json_step missing[] = {
		{ .key = "a" }, { .index = 5 } };
	unsigned int line = 0, col = 0;

	CHECK_EQ(dpx_json_locate(t, strlen(t), ab, 3, false, &line, &col), 3);
	CHECK_EQ(line, 2);
	CHECK_EQ(col, 18);
	CHECK_EQ(dpx_json_locate(t, strlen(t), ab, 3, true, &line, &col), 3);
	CHECK_EQ(col, 13);
	CHECK_EQ(dpx_json_locate(t, strlen(t), ete, 2, false, &line, &col), 2);
	CHECK_EQ(line, 3);
	CHECK_EQ(col, 26);
	CHECK_EQ(dpx_json_locate(t, strlen(t), missing, 2, false, &line, &col),
		 1);
	CHECK_EQ(line, 2);
	CHECK_EQ(col, 8);
	CHECK_EQ(dpx_json_locate(t, strlen(t), NULL, 0, false, &line, &col), 0);
	CHECK_EQ(line, 1);
	CHECK_EQ(col, 1);
}

/* Malformed or truncated text: no crash, partial result, sane position. */
static void test_locate_malformed(void)
{
	static const char *const texts[] = {
		"", "{", "[", "{\"a\"", "{\"a\":", "{\"a\":[", "{\"a\":[1,",
		"{\"a\\", "{\"a\\u12", "{\"a\\ud800\\u", "{\"x\":{\"a\":[}]",
		"}}}]]]", "{\"x\":\"\\", "{\"x\" 1, \"a\": [2]}", "[[[[[[[[",
		"{\"a\":[,,,]}", "\xff\xfe{\"a\":1}",
	};
	const struct dpx_json_step p[] = { { .key = "a" }, { .index = 0 } };
	unsigned int line, col;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		size_t len = strlen(texts[i]);
		char *copy = malloc(len ? len : 1);

		if (copy == NULL)
			continue;
		memcpy(copy, texts[i], len);  /* no terminator: exact bounds */
		line = col = 0;
		CHECK(dpx_json_locate(copy, len, p, 2, true, &line, &col) <= 2);
		CHECK(line >= 1 && col >= 1);
		free(copy);
	}
	CHECK_EQ(dpx_json_locate(NULL, 10, p, 2, false, &line, &col), 0);
	CHECK_EQ(line, 1);
	CHECK_EQ(col, 1);
}

/* ---------------------------------------------------------------------- */

/* Every TCP default, whether "tcp" is absent or empty. */
static void check_tcp_defaults(void)
{
	CHECK_EQ(cfg.tcp.congestion, DPX_CC_CUBIC);
	CHECK_EQ(cfg.tcp.rcvbuf, 262144);
	CHECK_EQ(cfg.tcp.sndbuf, 262144);
	CHECK_EQ(cfg.tcp.max_connections, 65536);
	CHECK_EQ(cfg.tcp.syn_cookies, DPX_SYNCOOKIE_AUTO);
	CHECK_EQ(cfg.tcp.time_wait_ms, 60000);
	CHECK_EQ(cfg.tcp.max_time_wait, 16384);
	CHECK_EQ(cfg.tcp.rto_min_ms, 200);
	CHECK_EQ(cfg.tcp.rto_max_ms, 120000);
	CHECK_EQ(cfg.tcp.rto_initial_ms, 1000);
	CHECK_EQ(cfg.tcp.delayed_ack_ms, 40);
	CHECK(!cfg.tcp.keepalive);
	CHECK_EQ(cfg.tcp.keepalive_idle_ms, 7200000);
	CHECK_EQ(cfg.tcp.keepalive_interval_ms, 75000);
	CHECK_EQ(cfg.tcp.keepalive_probes, 9);
	CHECK_EQ(cfg.tcp.ooo_max_segments, 1024);
	CHECK(cfg.tcp.sack);
	CHECK(cfg.tcp.timestamps);
	CHECK(cfg.tcp.window_scaling);
	CHECK_EQ(cfg.tcp.mss_clamp, 0);
}

static void test_defaults(void)
{
	EXPECT_OK("{\"ports\":[" PORT0 "]}");
	CHECK(strcmp(cfg.path, "t.json") == 0);
	CHECK_EQ(cfg.n_ports, 1);
	CHECK(strcmp(cfg.ports[0].device, "net_tap0") == 0);
	CHECK(strcmp(cfg.ports[0].name, "net_tap0") == 0);
	CHECK(strcmp(cfg.ports[0].devargs, "") == 0);
	CHECK_EQ(cfg.ports[0].n_addrs, 1);
	CHECK_EQ(cfg.ports[0].addrs[0].addr, 0xC6120001u);
	CHECK_EQ(cfg.ports[0].addrs[0].len, 24);
	CHECK_EQ(cfg.ports[0].gateway, 0);
	CHECK_EQ(cfg.ports[0].mtu, 1500);
	CHECK_EQ(cfg.ports[0].rx_desc, 1024);
	CHECK_EQ(cfg.ports[0].tx_desc, 1024);
	CHECK(!cfg.ports[0].fault.enabled);
	CHECK_EQ(cfg.n_workers, 1);
	CHECK(!cfg.lcores_explicit);
	CHECK_EQ(cfg.idle, DPX_IDLE_ADAPTIVE);
	CHECK_EQ(cfg.log_level, DPX_LOG_INFO);
	CHECK_EQ(cfg.arp.max_entries, 1024);
	CHECK_EQ(cfg.arp.timeout_ms, 60000);
	CHECK_EQ(cfg.arp.retry_ms, 1000);
	CHECK_EQ(cfg.arp.retries, 3);
	CHECK_EQ(cfg.arp.max_pending, 8);
	CHECK_EQ(cfg.mbufs_per_worker, 0);
	CHECK_EQ(cfg.n_listeners, 0);
	CHECK_EQ(cfg.n_pools, 0);
	CHECK_EQ(cfg.n_routes, 0);
	CHECK(strcmp(cfg.access_log.path, "") == 0);
	check_tcp_defaults();
}

static void test_full(void)
{
	EXPECT_OK("{\n"
		  " \"ports\": [\n"
		  "  {\"name\": \"client-1\", \"device\": \"net_tap0\",\n"
		  "   \"devargs\": \"iface=dpx0\",\n"
		  "   \"addresses\": [\"198.18.0.1/24\", \"198.18.0.2/24\","
		  " \"10.9.0.1/31\"],\n"
		  "   \"gateway\": \"198.18.0.254\", \"mtu\": 9000,\n"
		  "   \"rx_desc\": 64, \"tx_desc\": 4096},\n"
		  "  {\"name\": \"server_1\", \"device\": \"0000:03:00.0\",\n"
		  "   \"addresses\": [\"198.18.1.1/32\"],\n"
		  "   \"fault\": {\"seed\": 0, \"delay_us\": 1000000,\n"
		  "     \"rx\": {\"drop\": 0.25, \"duplicate\": 0.25,"
		  " \"reorder\": 0.25, \"delay\": 0.25},\n"
		  "     \"tx\": {\"drop\": 1}}}\n"
		  " ],\n"
		  " \"workers\": [3, 1, 127],\n"
		  " \"idle\": \"poll\", \"log_level\": \"debug\",\n"
		  " \"arp\": {\"max_entries\": 65536, \"timeout_ms\": 1000,"
		  " \"retry_ms\": 60000, \"retries\": 10, \"max_pending\": 64},\n"
		  " \"mbufs_per_worker\": 1048576,\n"
		  " \"listeners\": [], \"pools\": []\n"
		  "}\n");
	CHECK_EQ(cfg.n_ports, 2);
	CHECK(strcmp(cfg.ports[0].name, "client-1") == 0);
	CHECK(strcmp(cfg.ports[0].devargs, "iface=dpx0") == 0);
	CHECK_EQ(cfg.ports[0].n_addrs, 3);
	CHECK_EQ(cfg.ports[0].addrs[2].addr, 0x0A090001u);
	CHECK_EQ(cfg.ports[0].addrs[2].len, 31);
	CHECK_EQ(cfg.ports[0].gateway, 0xC61200FEu);
	CHECK_EQ(cfg.ports[0].mtu, 9000);
	CHECK_EQ(cfg.ports[0].rx_desc, 64);
	CHECK_EQ(cfg.ports[0].tx_desc, 4096);
	CHECK(strcmp(cfg.ports[1].device, "0000:03:00.0") == 0);
	CHECK(cfg.ports[1].fault.enabled);
	CHECK_EQ(cfg.ports[1].fault.seed, 0);
	CHECK_EQ(cfg.ports[1].fault.delay_us, 1000000);
	CHECK(cfg.ports[1].fault.rx.delay == 0.25);
	CHECK(cfg.ports[1].fault.tx.drop == 1.0);
	CHECK(cfg.ports[1].fault.tx.reorder == 0.0);
	CHECK_EQ(cfg.n_workers, 3);
	CHECK(cfg.lcores_explicit);
	CHECK_EQ(cfg.lcore_ids[0], 3);
	CHECK_EQ(cfg.lcore_ids[1], 1);
	CHECK_EQ(cfg.lcore_ids[2], 127);
	CHECK_EQ(cfg.idle, DPX_IDLE_POLL);
	CHECK_EQ(cfg.log_level, DPX_LOG_DEBUG);
	CHECK_EQ(cfg.arp.max_entries, 65536);
	CHECK_EQ(cfg.arp.timeout_ms, 1000);
	CHECK_EQ(cfg.arp.retry_ms, 60000);
	CHECK_EQ(cfg.arp.retries, 10);
	CHECK_EQ(cfg.arp.max_pending, 64);
	CHECK_EQ(cfg.mbufs_per_worker, 1048576);
}

static void test_json_syntax(void)
{
	EXPECT_ERR("{\"ports\": [1,]}", "t.json:1:14: invalid JSON: ", "");
	EXPECT_ERR("{\n\"a\": 1,\n\"a\": 2}", "t.json:3:3: invalid JSON: ",
		   "duplicate object key");
	EXPECT_ERR("", "t.json:1:1: invalid JSON: ", "expected");
	EXPECT_ERR("{\"ports\": \"\\u0000\"}", "t.json:1:", "invalid JSON");
	EXPECT_ERR("{\"ports\":[]} x", "t.json:1:14: invalid JSON:",
		   "end of file expected");
	/* a NUL byte inside the buffer is a syntax error, not the end */
	CHECK_EQ(dpx_config_load_buffer("t.json", "{\"a\":1}\0x", 9, &cfg, err,
					sizeof(err)), -1);
	CHECK_STR_CONTAINS(err, "invalid JSON");
	/* control characters in Jansson's text stay on one line */
	EXPECT_ERR("{\"a\":\"x\ny\"}", "invalid JSON", "");
	CHECK(strchr(err, '\n') == NULL);
}

static void test_top_level(void)
{
	EXPECT_ERR("[1]", "t.json:1:1: the top level must be an object, "
		   "got array", "");
	EXPECT_ERR("{}", "t.json:1:1: missing required key \"ports\"", "");
	EXPECT_ERR_AT("{\"ports\":[" PORT0 "], \"colour\": 1}", "\"colour\"",
		      0, "colour: unknown key \"colour\"", "");
	/* the position of an unknown key is that of the key */
	EXPECT_ERR("{\n  \"ports\": [" PORT0 "],\n  \"Idle\": \"poll\"}",
		   "t.json:3:3: Idle: unknown key \"Idle\"", "");
	/* keys are escaped in messages */
	EXPECT_ERR("{\"ports\":[" PORT0 "], \"a\\\"\\tb\": 1}",
		   "unknown key \"a\\\"\\u0009b\"", "");
	EXPECT_ERR_AT("{\"ports\": {}}", "{}", 0,
		      "ports: expected an array of port objects, got object",
		      "");
	EXPECT_ERR_AT("{\"ports\": []}", "[]", 0,
		      "ports: expected 1..8 ports, got 0", "");
	EXPECT_ERR_AT("{\"ports\":[" PORT0 "," PORT0 "," PORT0 "," PORT0 ","
		      PORT0 "," PORT0 "," PORT0 "," PORT0 "," PORT0 "]}",
		      "[", 0, "ports: expected 1..8 ports, got 9", "");
}

static void test_workers(void)
{
	const char *t;
	char big[2048] = "";

	EXPECT_OK("{\"ports\":[" PORT0 "], \"workers\": 64}");
	CHECK_EQ(cfg.n_workers, 64);
	CHECK(!cfg.lcores_explicit);
	EXPECT_ERR_AT("{\"ports\":[" PORT0 "], \"workers\": 0}", "0}", 0,
		      "workers: 0 is out of range 1..64", "");
	EXPECT_ERR("{\"ports\":[" PORT0 "], \"workers\": 65}",
		   "workers: 65 is out of range 1..64", "");
	EXPECT_ERR("{\"ports\":[" PORT0 "], \"workers\": \"2\"}",
		   "workers: expected an integer or an array of lcore ids, "
		   "got string", "");
	EXPECT_ERR("{\"ports\":[" PORT0 "], \"workers\": 2.0}",
		   "got real number", "");
	EXPECT_ERR("{\"ports\":[" PORT0 "], \"workers\": []}",
		   "workers: the lcore list must not be empty", "");
	t = "{\"ports\":[" PORT0 "], \"workers\": [2, 0]}";
	EXPECT_ERR_AT(t, "0]", 0, "workers[1]: lcore 0 is the main",
		      "cannot run a worker");
	t = "{\"ports\":[" PORT0 "], \"workers\": [2, 5, 2]}";
	EXPECT_ERR_AT(t, "2]", 0, "workers[2]: lcore 2 is listed twice "
		      "(also workers[0])", "");
	EXPECT_ERR("{\"ports\":[" PORT0 "], \"workers\": [128]}",
		   "workers[0]: 128 is out of range 1..127", "");
	EXPECT_ERR("{\"ports\":[" PORT0 "], \"workers\": [1, -3]}",
		   "workers[1]: -3 is out of range 1..127", "");
	EXPECT_ERR("{\"ports\":[" PORT0 "], \"workers\": [1, \"2\"]}",
		   "workers[1]: expected an integer, got string", "");
	for (int i = 1; i <= 65; i++)
		snprintf(big + strlen(big), sizeof(big) - strlen(big), "%s%d",
			 i > 1 ? "," : "", i);
	EXPECT_ERR(fmt("{\"ports\":[" PORT0 "], \"workers\": [%s]}", big),
		   "workers: at most 64 lcores allowed, got 65", "");
	*strrchr(big, ',') = '\0';
	EXPECT_OK(fmt("{\"ports\":[" PORT0 "], \"workers\": [%s]}", big));
	CHECK_EQ(cfg.n_workers, 64);
	CHECK_EQ(cfg.lcore_ids[63], 64);
}

static void test_idle_and_log_level(void)
{
	EXPECT_OK("{\"ports\":[" PORT0 "], \"idle\": \"adaptive\","
		  " \"log_level\": \"warning\"}");
	CHECK_EQ(cfg.idle, DPX_IDLE_ADAPTIVE);
	CHECK_EQ(cfg.log_level, DPX_LOG_WARN);
	EXPECT_OK("{\"ports\":[" PORT0 "], \"log_level\": \"error\"}");
	CHECK_EQ(cfg.log_level, DPX_LOG_ERR);
	EXPECT_ERR_AT("{\"ports\":[" PORT0 "], \"idle\": \"busy\"}",
		      "\"busy\"", 0,
		      "idle: \"busy\" is not one of poll, adaptive", "");
	EXPECT_ERR("{\"ports\":[" PORT0 "], \"idle\": 1}",
		   "idle: expected a string, got integer", "");
	EXPECT_ERR_AT("{\"ports\":[" PORT0 "], \"log_level\": \"verbose\"}",
		      "\"verbose\"", 0, "log_level: \"verbose\" is not one of "
		      "error, warning, info, debug", "");
	EXPECT_ERR("{\"ports\":[" PORT0 "], \"log_level\": null}",
		   "log_level: expected a string, got null", "");
}

static void test_arp(void)
{
	EXPECT_OK("{\"ports\":[" PORT0 "], \"arp\": {\"max_entries\": 16}}");
	CHECK_EQ(cfg.arp.max_entries, 16);
	CHECK_EQ(cfg.arp.retries, 3);
	EXPECT_ERR_AT("{\"ports\":[" PORT0 "], \"arp\": {\"max_entries\": 1000}}",
		      "1000", 0, "arp.max_entries: 1000 is not a power of two",
		      "");
	EXPECT_ERR("{\"ports\":[" PORT0 "], \"arp\": {\"max_entries\": 8}}",
		   "arp.max_entries: 8 is out of range 16..65536", "");
	EXPECT_ERR("{\"ports\":[" PORT0 "], \"arp\": {\"max_entries\": 131072}}",
		   "arp.max_entries: 131072 is out of range 16..65536", "");
	EXPECT_ERR("{\"ports\":[" PORT0 "], \"arp\": {\"timeout_ms\": 999}}",
		   "arp.timeout_ms: 999 is out of range 1000..3600000", "");
	EXPECT_ERR("{\"ports\":[" PORT0 "], \"arp\": {\"retry_ms\": 60001}}",
		   "arp.retry_ms: 60001 is out of range 10..60000", "");
	EXPECT_ERR("{\"ports\":[" PORT0 "], \"arp\": {\"retries\": 0}}",
		   "arp.retries: 0 is out of range 1..10", "");
	EXPECT_ERR("{\"ports\":[" PORT0 "], \"arp\": {\"max_pending\": 65}}",
		   "arp.max_pending: 65 is out of range 1..64", "");
	EXPECT_ERR("{\"ports\":[" PORT0 "], \"arp\": {\"retries\": true}}",
		   "arp.retries: expected an integer, got boolean", "");
	EXPECT_ERR_AT("{\"ports\":[" PORT0 "], \"arp\": {\"ttl\": 5}}",
		      "\"ttl\"", 0, "arp.ttl: unknown key \"ttl\"", "");
	EXPECT_ERR("{\"ports\":[" PORT0 "], \"arp\": []}",
		   "arp: expected an object, got array", "");
}

static void test_mbufs_and_empty_lists(void)
{
	EXPECT_OK("{\"ports\":[" PORT0 "], \"mbufs_per_worker\": 1024}");
	CHECK_EQ(cfg.mbufs_per_worker, 1024);
	EXPECT_ERR("{\"ports\":[" PORT0 "], \"mbufs_per_worker\": 0}",
		   "mbufs_per_worker: 0 is out of range 1024..1048576", "");
	EXPECT_ERR("{\"ports\":[" PORT0 "], \"mbufs_per_worker\": 1048577}",
		   "mbufs_per_worker: 1048577 is out of range", "");
	EXPECT_OK("{\"ports\":[" PORT0 "], \"listeners\": [], \"pools\": []}");
	CHECK_EQ(cfg.n_listeners, 0);
	CHECK_EQ(cfg.n_pools, 0);
	EXPECT_ERR_AT("{\"ports\":[" PORT0 "], \"pools\": [1]}", "1]", 0,
		      "pools[0]: expected a pool object, got integer", "");
	EXPECT_ERR("{\"ports\":[" PORT0 "], \"pools\": {}}",
		   "pools: expected an array of pool objects, got object", "");
	EXPECT_ERR_AT("{\"ports\":[" PORT0 "], \"pools\": [{}]}", "{}", 0,
		      "pools[0]: missing required key \"name\"", "");
}

static void test_port_object(void)
{
	const char *t;

	EXPECT_ERR_AT("{\"ports\": [" PORT0 ", 5]}", "5]", 0,
		      "ports[1]: expected a port object, got integer", "");
	t = "{\"ports\": [\n  {\"addresses\": [\"198.18.0.1/24\"]}]}";
	EXPECT_ERR_AT(t, "{\"addr", 0,
		      "ports[0]: missing required key \"device\"", "");
	EXPECT_ERR("{\"ports\": [{\"device\": \"x\"}]}",
		   "t.json:1:12: ports[0]: missing required key \"addresses\"",
		   "");
	t = port_with("\"speed\": 10");
	EXPECT_ERR_AT(t, "\"speed\"", 0,
		      "ports[0].speed: unknown key \"speed\"", "");
}

static void test_port_strings(void)
{
	char longname[80];

	memset(longname, 'a', 64);
	longname[64] = '\0';
	EXPECT_ERR_AT("{\"ports\":[{\"device\":\"\",\"addresses\":[\"1.1.1.1/8\"]}]}",
		      "\"\"", 0, "ports[0].device: must not be empty", "");
	EXPECT_ERR(fmt("{\"ports\":[{\"device\":\"%s\","
		       "\"addresses\":[\"1.1.1.1/8\"]}]}", longname),
		   "ports[0].device: is 64 bytes long, at most 63 allowed", "");
	longname[63] = '\0';
	EXPECT_OK(fmt("{\"ports\":[{\"device\":\"%s\","
		      "\"addresses\":[\"1.1.1.1/8\"]}]}", longname));
	CHECK(strcmp(cfg.ports[0].name, longname) == 0);
	EXPECT_ERR("{\"ports\":[{\"device\":7,\"addresses\":[\"1.1.1.1/8\"]}]}",
		   "ports[0].device: expected a string, got integer", "");
	EXPECT_ERR_AT(port_with("\"name\": \"my port\""), "\"my port\"", 0,
		      "ports[0].name: \"my port\" may only contain letters, "
		      "digits, '_' and '-'", "");
	EXPECT_ERR(port_with("\"name\": \"a.b\""), "ports[0].name: ",
		   "may only contain");
	EXPECT_ERR(port_with("\"name\": \"\""),
		   "ports[0].name: must not be empty", "");
	EXPECT_ERR(fmt("{\"ports\":[{\"device\":\"d\",\"name\":\"%sb\","
		       "\"addresses\":[\"1.1.1.1/8\"]}]}", longname),
		   "ports[0].name: is 64 bytes long, at most 63 allowed", "");
	EXPECT_OK(port_with("\"name\": \"Az09_-\", \"devargs\": \"\""));
	CHECK(strcmp(cfg.ports[0].name, "Az09_-") == 0);
	{
		char extra[300];

		snprintf(extra, sizeof(extra), "\"devargs\": \"%0256d\"", 0);
		EXPECT_ERR(port_with(extra), "ports[0].devargs: is 256 bytes "
			   "long, at most 255 allowed", "");
		snprintf(extra, sizeof(extra), "\"devargs\": \"%0255d\"", 0);
		EXPECT_OK(port_with(extra));
		CHECK_EQ(strlen(cfg.ports[0].devargs), 255);
	}
	EXPECT_ERR(port_with("\"devargs\": []"),
		   "ports[0].devargs: expected a string, got array", "");
}

/* A config whose only port has the given addresses list. */
static const char *with_addrs(const char *list)
{
	return fmt("{\"ports\":[{\"device\":\"d\",\"addresses\":[%s]}]}",
		   list);
}

static void test_addresses(void)
{
	static const char *const not_prefix[] = {
		"198.18.0.300/24", "198.18.0.1", "198.18.0.1/0", "198.18.0.1/33",
		"198.018.0.1/24", "198.18..1/24", "+198.18.0.1/24",
		"198.18.0.1/24 ", "", "1.2.3.4.5/8", "1.2.3.1234/8",
	};
	char q[64];

	for (size_t i = 0; i < sizeof(not_prefix) / sizeof(not_prefix[0]);
	     i++) {
		snprintf(q, sizeof(q), "\"%s\"", not_prefix[i]);
		EXPECT_ERR_AT(with_addrs(q), q, 0, "ports[0].addresses[0]: ",
			      "is not an IPv4 prefix");
		CHECK_STR_CONTAINS(err, q);
	}
	EXPECT_ERR("{\"ports\":[" PORT0 ", {\"device\":\"b\",\"addresses\":"
		   "[\"198.18.0.300/24\"]}]}", "ports[1].addresses[0]: "
		   "\"198.18.0.300/24\" is not an IPv4 prefix", "");
	EXPECT_ERR(with_addrs("\"0.0.0.0/8\""), "ports[0].addresses[0]: ",
		   "unspecified address 0.0.0.0");
	EXPECT_ERR(with_addrs("\"0.0.0.0/32\""), "unspecified", "");
	EXPECT_ERR(with_addrs("\"255.255.255.255/32\""),
		   "limited broadcast address", "");
	EXPECT_ERR(with_addrs("\"224.0.0.1/24\""), "multicast", "");
	EXPECT_ERR(with_addrs("\"239.255.255.1/32\""), "multicast", "");
	EXPECT_ERR(with_addrs("\"127.0.0.1/8\""), "loopback", "");
	EXPECT_ERR(with_addrs("\"127.1.2.3/32\""), "loopback", "");
	EXPECT_ERR(with_addrs("\"198.18.0.0/24\""), "\"198.18.0.0/24\" is the "
		   "network address of 198.18.0.0/24", "");
	EXPECT_ERR(with_addrs("\"198.18.0.255/24\""), "\"198.18.0.255/24\" is "
		   "the broadcast address of 198.18.0.0/24", "");
	EXPECT_ERR(with_addrs("\"10.0.0.4/30\""), "network address", "");
	EXPECT_ERR(with_addrs("\"10.0.0.7/30\""), "broadcast address", "");
	EXPECT_OK(with_addrs("\"10.0.0.4/31\", \"10.0.0.5/31\", "
			     "\"10.0.1.0/32\", \"10.0.2.255/32\", "
			     "\"223.255.255.1/1\", \"128.0.0.1/1\""));
	CHECK_EQ(cfg.ports[0].n_addrs, 6);
	EXPECT_ERR_AT(with_addrs("\"10.0.0.1/24\", \"10.0.0.2/24\", "
				 "\"10.0.0.1/16\""), "\"10.0.0.1/16\"", 0,
		      "ports[0].addresses[2]: \"10.0.0.1/16\": duplicate "
		      "address (also addresses[0])", "");
	EXPECT_ERR(with_addrs(""), "ports[0].addresses: expected 1..8 "
		   "addresses, got 0", "");
	EXPECT_ERR(with_addrs("\"10.0.0.1/8\",\"10.0.0.2/8\",\"10.0.0.3/8\","
			      "\"10.0.0.4/8\",\"10.0.0.5/8\",\"10.0.0.6/8\","
			      "\"10.0.0.7/8\",\"10.0.0.8/8\",\"10.0.0.9/8\""),
		   "ports[0].addresses: expected 1..8 addresses, got 9", "");
	EXPECT_ERR(with_addrs("3232235521"), "ports[0].addresses[0]: expected "
		   "a string \"a.b.c.d/len\", got integer", "");
	EXPECT_ERR("{\"ports\":[{\"device\":\"d\",\"addresses\":\"1.1.1.1/8\"}]}",
		   "ports[0].addresses: expected an array", "got string");
}

static void test_gateway(void)
{
	EXPECT_OK(port_with("\"gateway\": \"198.18.0.254\""));
	CHECK_EQ(cfg.ports[0].gateway, 0xC61200FEu);
	EXPECT_OK("{\"ports\":[{\"device\":\"d\",\"gateway\":\"10.0.0.9\","
		  "\"addresses\":[\"198.18.0.1/24\",\"10.0.0.1/28\"]}]}");
	CHECK_EQ(cfg.ports[0].gateway, 0x0A000009u);
	EXPECT_OK("{\"ports\":[{\"device\":\"d\",\"gateway\":\"10.0.0.0\","
		  "\"addresses\":[\"10.0.0.1/31\"]}]}");
	EXPECT_ERR_AT(port_with("\"gateway\": \"198.18.1.1\""),
		      "\"198.18.1.1\"", 0, "ports[0].gateway: \"198.18.1.1\" is "
		      "not inside any of this port's prefixes", "");
	EXPECT_ERR(port_with("\"gateway\": \"198.18.0.1\""),
		   "ports[0].gateway: \"198.18.0.1\" is this port's own "
		   "address (addresses[0])", "");
	EXPECT_ERR(port_with("\"gateway\": \"198.18.0.255\""),
		   "ports[0].gateway: ", "network or broadcast address");
	EXPECT_ERR(port_with("\"gateway\": \"198.18.0.0\""),
		   "network or broadcast address", "");
	EXPECT_ERR(port_with("\"gateway\": \"198.18.0.1/24\""),
		   "ports[0].gateway: \"198.18.0.1/24\" is not an IPv4 "
		   "address", "");
	EXPECT_ERR(port_with("\"gateway\": 1"),
		   "ports[0].gateway: expected a string \"a.b.c.d\", got "
		   "integer", "");
}

static void test_port_numbers(void)
{
	EXPECT_ERR_AT(port_with("\"mtu\": \"1500\""), "\"1500\"", 0,
		      "ports[0].mtu: expected an integer, got string", "");
	EXPECT_ERR_AT(port_with("\"mtu\": 70000"), "70000", 0,
		      "ports[0].mtu: 70000 is out of range 68..9000", "");
	EXPECT_ERR(port_with("\"mtu\": 67"), "67 is out of range 68..9000", "");
	EXPECT_ERR(port_with("\"mtu\": 1500.0"),
		   "ports[0].mtu: expected an integer, got real number", "");
	EXPECT_ERR(port_with("\"mtu\": 1e3"), "got real number", "");
	EXPECT_ERR(port_with("\"mtu\": -9223372036854775808"),
		   "-9223372036854775808 is out of range 68..9000", "");
	EXPECT_OK(port_with("\"mtu\": 68"));
	CHECK_EQ(cfg.ports[0].mtu, 68);
	EXPECT_ERR(port_with("\"rx_desc\": 1000"),
		   "ports[0].rx_desc: 1000 is not a power of two", "");
	EXPECT_ERR(port_with("\"rx_desc\": 32"),
		   "ports[0].rx_desc: 32 is out of range 64..4096", "");
	EXPECT_ERR(port_with("\"tx_desc\": 8192"),
		   "ports[0].tx_desc: 8192 is out of range 64..4096", "");
	EXPECT_ERR(port_with("\"tx_desc\": 100"),
		   "ports[0].tx_desc: 100 is not a power of two", "");
	EXPECT_OK(port_with("\"rx_desc\": 512, \"tx_desc\": 256"));
	CHECK_EQ(cfg.ports[0].rx_desc, 512);
	CHECK_EQ(cfg.ports[0].tx_desc, 256);
}

static void test_fault(void)
{
	EXPECT_OK(port_with("\"fault\": {}"));
	CHECK(cfg.ports[0].fault.enabled);
	CHECK_EQ(cfg.ports[0].fault.seed, 1);
	CHECK_EQ(cfg.ports[0].fault.delay_us, 1000);
	CHECK(cfg.ports[0].fault.rx.drop == 0.0);
	EXPECT_OK(port_with("\"fault\": {\"seed\": 9223372036854775807, "
			    "\"rx\": {\"drop\": 0, \"delay\": 1}, "
			    "\"tx\": {\"duplicate\": 0.5, \"reorder\": 0.5}}"));
	CHECK_EQ(cfg.ports[0].fault.seed, 9223372036854775807ULL);
	CHECK(cfg.ports[0].fault.rx.delay == 1.0);
	CHECK(cfg.ports[0].fault.tx.duplicate == 0.5);
	/* 0.1 + 0.2 + 0.3 + 0.4 is slightly above 1 in binary */
	EXPECT_OK(port_with("\"fault\": {\"tx\": {\"drop\": 0.1, "
			    "\"duplicate\": 0.2, \"reorder\": 0.3, "
			    "\"delay\": 0.4}}"));
	EXPECT_ERR(port_with("\"fault\": {\"seed\": -1}"),
		   "ports[0].fault.seed: -1 is out of range (must be >= 0)", "");
	EXPECT_ERR(port_with("\"fault\": {\"delay_us\": 0}"),
		   "ports[0].fault.delay_us: 0 is out of range 1..1000000", "");
	EXPECT_ERR(port_with("\"fault\": {\"delay_us\": 1000001}"),
		   "1000001 is out of range 1..1000000", "");
	EXPECT_ERR_AT(port_with("\"fault\": {\"rx\": {\"drop\": 1.5}}"),
		      "1.5", 0, "ports[0].fault.rx.drop: 1.5 is out of range "
		      "0..1", "");
	EXPECT_ERR(port_with("\"fault\": {\"tx\": {\"delay\": -0.5}}"),
		   "ports[0].fault.tx.delay: -0.5 is out of range 0..1", "");
	EXPECT_ERR(port_with("\"fault\": {\"rx\": {\"drop\": 1.0000001}}"),
		   "ports[0].fault.rx.drop: 1.0000001 is out of range 0..1", "");
	EXPECT_ERR(port_with("\"fault\": {\"tx\": {\"delay\": 2}}"),
		   "ports[0].fault.tx.delay: 2 is out of range 0..1", "");
	EXPECT_ERR(port_with("\"fault\": {\"rx\": {\"reorder\": \"0.1\"}}"),
		   "ports[0].fault.rx.reorder: expected a number in [0, 1], "
		   "got string", "");
	EXPECT_ERR_AT(port_with("\"fault\": {\"rx\": {\"drop\": 0.5, "
				"\"duplicate\": 0.6}}"), "{\"drop", 0,
		      "ports[0].fault.rx: probabilities add up to 1.1, at most "
		      "1 allowed", "");
	EXPECT_ERR(port_with("\"fault\": {\"tx\": {\"drop\": 0.5, "
			     "\"delay\": 0.5000001}}"),
		   "ports[0].fault.tx: probabilities add up to 1.0000001", "");
	EXPECT_ERR_AT(port_with("\"fault\": {\"rx\": {\"corrupt\": 0.1}}"),
		      "\"corrupt\"", 0, "ports[0].fault.rx.corrupt: unknown key "
		      "\"corrupt\"", "");
	EXPECT_ERR(port_with("\"fault\": {\"both\": {}}"),
		   "ports[0].fault.both: unknown key \"both\"", "");
	EXPECT_ERR(port_with("\"fault\": true"),
		   "ports[0].fault: expected an object, got boolean", "");
	EXPECT_ERR(port_with("\"fault\": {\"tx\": [0.1]}"),
		   "ports[0].fault.tx: expected an object, got array", "");
}

static void test_cross_port(void)
{
	const char *t;

	t = "{\"ports\":[" PORT0 ",\n {\"device\":\"net_tap0\","
	    "\"addresses\":[\"10.0.0.1/8\"]}]}";
	EXPECT_ERR_AT(t, "\"net_tap0\"", 1, "ports[1].device: duplicate "
		      "device \"net_tap0\" (also ports[0])", "");
	t = "{\"ports\":[{\"name\":\"a\",\"device\":\"x\",\"addresses\":"
	    "[\"10.0.0.1/8\"]}, {\"name\":\"a\",\"device\":\"y\","
	    "\"addresses\":[\"11.0.0.1/8\"]}]}";
	EXPECT_ERR_AT(t, "\"a\"", 1, "ports[1].name: duplicate port name "
		      "\"a\" (also ports[0])", "");
	/* a defaulted name is the device */
	t = "{\"ports\":[{\"name\":\"y\",\"device\":\"x\",\"addresses\":"
	    "[\"10.0.0.1/8\"]}, {\"device\":\"y\","
	    "\"addresses\":[\"11.0.0.1/8\"]}]}";
	EXPECT_ERR_AT(t, "\"y\"", 1, "ports[1].device: duplicate port name "
		      "\"y\" (also ports[0]); the name defaults to the device",
		      "");
	t = "{\"ports\":[" PORT0 ", {\"device\":\"b\",\"addresses\":"
	    "[\"10.0.0.1/8\", \"198.18.0.1/32\"]}]}";
	EXPECT_ERR_AT(t, "\"198.18.0.1/32\"", 0, "ports[1].addresses[1]: "
		      "\"198.18.0.1/32\": address already used by port "
		      "\"net_tap0\" (ports[0].addresses[0])", "");
	t = "{\"ports\":[" PORT0 ", {\"device\":\"b\",\"addresses\":"
	    "[\"198.18.0.2/25\"]}]}";
	EXPECT_ERR_AT(t, "\"198.18.0.2/25\"", 0, "ports[1].addresses[0]: "
		      "\"198.18.0.2/25\" overlaps 198.18.0.1/24 of port "
		      "\"net_tap0\" (ports[0].addresses[0])", "");
	t = "{\"ports\":[" PORT0 ", {\"device\":\"b\",\"addresses\":"
	    "[\"198.19.0.1/15\"]}]}";
	EXPECT_ERR(t, "ports[1].addresses[0]: \"198.19.0.1/15\" overlaps", "");
	/* adjacent prefixes do not overlap; two ports are fine */
	EXPECT_OK("{\"ports\":[" PORT0 ", " PORT1 ", {\"device\":\"c\","
		  "\"addresses\":[\"198.18.2.1/23\"]}]}");
	CHECK_EQ(cfg.n_ports, 3);
	CHECK(strcmp(cfg.ports[1].name, "net_tap1") == 0);
}

/* ---------------------------------------------------------------------- */
/* Listeners and TCP                                                        */

/* Two ports (198.18.0.1/24 and 198.18.1.1/24) and the given listeners. */
static const char *with_listeners(const char *list)
{
	return fmt("{\"ports\":[" PORT0 "," PORT1 "],\n\"listeners\": [%s]}",
		   list);
}

/* Two ports and the given "tcp" value. */
static const char *with_tcp(const char *tcp)
{
	return fmt("{\"ports\":[" PORT0 "," PORT1 "],\n\"tcp\": %s}", tcp);
}

/* One port with the given MTU and "tcp" value. */
static const char *one_port_tcp(int mtu, const char *tcp)
{
	return fmt("{\"ports\":[{\"device\":\"net_tap0\",\"mtu\":%d,"
		   "\"addresses\":[\"198.18.0.1/24\"]}],\n\"tcp\": %s}",
		   mtu, tcp);
}

#define ECHO7 "{\"address\": \"198.18.0.1\", \"port\": 7, \"mode\": \"echo\"}"

static void test_listeners_ok(void)
{
	EXPECT_OK(with_listeners(ECHO7 ", {\"name\": \"web\", \"address\": "
				 "\"198.18.1.1\", \"port\": 80, \"mode\": "
				 "\"static\", \"backlog\": 65535}, "
				 "{\"address\": \"0.0.0.0\", \"port\": 65535, "
				 "\"mode\": \"static\", \"backlog\": 1}, "
				 "{\"address\": \"198.18.1.1\", \"port\": 7, "
				 "\"mode\": \"echo\"}"));
	CHECK_EQ(cfg.n_listeners, 4);
	CHECK(strcmp(cfg.listeners[0].name, "listener0") == 0);
	CHECK_EQ(cfg.listeners[0].addr, 0xC6120001u);
	CHECK_EQ(cfg.listeners[0].port, 7);
	CHECK_EQ(cfg.listeners[0].mode, DPX_LISTEN_ECHO);
	CHECK_EQ(cfg.listeners[0].backlog, 1024);
	CHECK(strcmp(cfg.listeners[1].name, "web") == 0);
	CHECK_EQ(cfg.listeners[1].addr, 0xC6120101u);
	CHECK_EQ(cfg.listeners[1].mode, DPX_LISTEN_STATIC);
	CHECK_EQ(cfg.listeners[1].backlog, 65535);
	CHECK(strcmp(cfg.listeners[2].name, "listener2") == 0);
	CHECK_EQ(cfg.listeners[2].addr, 0);
	CHECK_EQ(cfg.listeners[2].port, 65535);
	CHECK_EQ(cfg.listeners[2].backlog, 1);
	CHECK_EQ(cfg.listeners[3].port, 7);
	/* a second address of a port is fine too */
	EXPECT_OK("{\"ports\":[{\"device\":\"d\",\"addresses\":[\"10.0.0.1/8\","
		  "\"198.18.0.1/24\"]}], \"listeners\": [" ECHO7 "]}");
	CHECK_EQ(cfg.listeners[0].addr, 0xC6120001u);
}

/* 32 listeners are fine, 33 are not. */
static void test_listeners_max(void)
{
	char list[4096] = "";
	size_t len32 = 0;

	for (int i = 0; i < 33; i++) {
		if (i == 32)
			len32 = strlen(list);
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
			 "%s{\"address\":\"0.0.0.0\",\"port\":%d,"
			 "\"mode\":\"echo\"}", i > 0 ? "," : "", 100 + i);
	}
	EXPECT_ERR_AT(with_listeners(list), "[{\"address", 0,
		      "listeners: at most 32 listeners allowed, got 33", "");
	list[len32] = '\0';
	EXPECT_OK(with_listeners(list));
	CHECK_EQ(cfg.n_listeners, 32);
	CHECK_EQ(cfg.listeners[31].port, 131);
	CHECK(strcmp(cfg.listeners[31].name, "listener31") == 0);
}

static void test_listener_fields(void)
{
	const char *t;

	t = with_listeners("{\"address\": \"198.18.0.1\", \"port\": 7, "
			   "\"mode\": \"ftp\"}");
	EXPECT_ERR_AT(t, "\"ftp\"", 0, "listeners[0].mode: \"ftp\" is not "
		      "one of echo, static, http, tcp, forward, udp_echo", "");
	/* the proxy modes need a pool (or routes): see test_proxy_listener */
	t = with_listeners("{\"address\": \"198.18.0.1\", \"port\": 7, "
			   "\"mode\": \"http\"}");
	EXPECT_ERR_AT(t, "{\"address", 0, "listeners[0]: mode http needs a "
		      "\"pool\", \"routes\", or both", "");
	t = with_listeners("{\"address\": \"198.18.0.1\", \"port\": 7, "
			   "\"mode\": \"tcp\"}");
	EXPECT_ERR_AT(t, "{\"address", 0, "listeners[0]: missing required key "
		      "\"pool\" (a tcp listener forwards every connection to "
		      "it)", "");
	t = with_listeners("{\"address\": \"198.18.0.1\", \"port\": 7, "
			   "\"mode\": 1}");
	EXPECT_ERR_AT(t, "1}", 0, "listeners[0].mode: expected a string, "
		      "got integer", "");
	t = with_listeners("{\"address\": \"198.18.0.1\", \"port\": 0, "
			   "\"mode\": \"echo\"}");
	EXPECT_ERR_AT(t, "0,", 0, "listeners[0].port: 0 is out of range "
		      "1..65535", "");
	t = with_listeners("{\"address\": \"198.18.0.1\", \"port\": 70000, "
			   "\"mode\": \"echo\"}");
	EXPECT_ERR_AT(t, "70000", 0, "listeners[0].port: 70000 is out of "
		      "range 1..65535", "");
	t = with_listeners("{\"address\": \"198.18.0.1\", \"port\": \"80\", "
			   "\"mode\": \"echo\"}");
	EXPECT_ERR_AT(t, "\"80\"", 0, "listeners[0].port: expected an "
		      "integer, got string", "");
	t = with_listeners(ECHO7 ", {\"address\": \"198.18.0.1\", \"port\": 8,"
			   " \"mode\": \"echo\", \"backlog\": 0}");
	EXPECT_ERR_AT(t, "0}", 0, "listeners[1].backlog: 0 is out of range "
		      "1..65535", "");
	t = with_listeners("{\"address\": \"198.18.0.1\", \"port\": 8,"
			   " \"mode\": \"echo\", \"backlog\": 65536}");
	EXPECT_ERR_AT(t, "65536", 0, "listeners[0].backlog: 65536 is out of "
		      "range 1..65535", "");
	t = with_listeners("{\"address\": \"198.18.0.1\", \"port\": 8,"
			   " \"mode\": \"echo\", \"proto\": \"tcp\"}");
	EXPECT_ERR_AT(t, "\"proto\"", 0, "listeners[0].proto: unknown key "
		      "\"proto\"", "");
}

static void test_listener_required(void)
{
	const char *t;

	t = with_listeners("{\"port\": 80, \"mode\": \"static\"}");
	EXPECT_ERR_AT(t, "{\"port\"", 0, "listeners[0]: missing required key "
		      "\"address\"", "");
	t = with_listeners("{\"address\": \"198.18.0.1\", \"mode\": \"echo\"}");
	EXPECT_ERR_AT(t, "{\"address", 0, "listeners[0]: missing required "
		      "key \"port\"", "");
	t = with_listeners("{\"address\": \"198.18.0.1\", \"port\": 7}");
	EXPECT_ERR_AT(t, "{\"address", 0, "listeners[0]: missing required "
		      "key \"mode\"", "");
	t = with_listeners("\"198.18.0.1:80\"");
	EXPECT_ERR_AT(t, "\"198.18.0.1:80\"", 0, "listeners[0]: expected a "
		      "listener object, got string", "");
	t = "{\"ports\":[" PORT0 "], \"listeners\": {}}";
	EXPECT_ERR_AT(t, "{}", 0, "listeners: expected an array of listener "
		      "objects, got object", "");
	EXPECT_ERR("{\"ports\":[" PORT0 "], \"listeners\": null}",
		   "listeners: expected an array of listener objects, got null",
		   "");
}

static void test_listener_address(void)
{
	const char *t;

	t = with_listeners("{\"address\": \"198.18.2.1\", \"port\": 7, "
			   "\"mode\": \"echo\"}");
	EXPECT_ERR_AT(t, "\"198.18.2.1\"", 0, "listeners[0].address: "
		      "\"198.18.2.1\" is not an address of any port", "");
	/* inside a port's prefix is not enough */
	t = with_listeners("{\"address\": \"198.18.0.2\", \"port\": 7, "
			   "\"mode\": \"echo\"}");
	EXPECT_ERR_AT(t, "\"198.18.0.2\"", 0, "listeners[0].address: ",
		      "is not an address of any port");
	t = with_listeners("{\"address\": \"198.18.0.1/24\", \"port\": 7, "
			   "\"mode\": \"echo\"}");
	EXPECT_ERR_AT(t, "\"198.18.0.1/24\"", 1, "listeners[0].address: "
		      "\"198.18.0.1/24\" is not an IPv4 address", "");
	t = with_listeners("{\"address\": \"0.0.0.00\", \"port\": 7, "
			   "\"mode\": \"echo\"}");
	EXPECT_ERR(t, "listeners[0].address: \"0.0.0.00\" is not an IPv4 "
		   "address", "");
	t = with_listeners("{\"address\": 3323068417, \"port\": 7, "
			   "\"mode\": \"echo\"}");
	EXPECT_ERR_AT(t, "3323068417", 0, "listeners[0].address: expected a "
		      "string \"a.b.c.d\", got integer", "");
}

/* UDP ports are a space of their own: udp_echo shares a port number
 * with TCP listeners, not with another udp_echo. */
static void test_listener_udp_echo(void)
{
	const char *t;

	EXPECT_OK(with_listeners(ECHO7 ", {\"address\": \"198.18.0.1\", "
				 "\"port\": 7, \"mode\": \"udp_echo\"}, "
				 "{\"address\": \"0.0.0.0\", \"port\": 53, "
				 "\"mode\": \"udp_echo\"}"));
	CHECK_EQ(cfg.n_listeners, 3);
	CHECK_EQ(cfg.listeners[1].mode, DPX_LISTEN_UDP_ECHO);
	CHECK_EQ(cfg.listeners[1].port, 7);
	CHECK_EQ(cfg.listeners[2].addr, 0);
	t = with_listeners("{\"name\": \"u\", \"address\": \"0.0.0.0\", "
			   "\"port\": 53, \"mode\": \"udp_echo\"},\n"
			   "{\"address\": \"198.18.0.1\", \"port\": 53, "
			   "\"mode\": \"udp_echo\"}");
	EXPECT_ERR_AT(t, "53", 1, "listeners[1].port: 198.18.0.1:53 conflicts "
		      "with 0.0.0.0:53 of listener \"u\" (listeners[0])", "");
	t = with_listeners("{\"address\": \"198.18.0.1\", \"port\": 53, "
			   "\"mode\": \"udp_echo\", \"pool\": \"web\"}");
	EXPECT_ERR_AT(t, "\"pool\"", 0, "listeners[0].pool: only for mode "
		      "http or tcp (this listener is mode udp_echo)", "");
}

static void test_listener_conflicts(void)
{
	const char *t;

	t = with_listeners("{\"name\": \"a\", \"address\": \"198.18.0.1\", "
			   "\"port\": 80, \"mode\": \"static\"},\n"
			   "{\"address\": \"198.18.1.1\", \"port\": 80, "
			   "\"mode\": \"static\"},\n"
			   "{\"address\": \"198.18.0.1\", \"port\": 80, "
			   "\"mode\": \"echo\"}");
	EXPECT_ERR_AT(t, "80", 2, "listeners[2].port: 198.18.0.1:80 is "
		      "already used by listener \"a\" (listeners[0])", "");
	t = with_listeners("{\"name\": \"web\", \"address\": \"198.18.1.1\", "
			   "\"port\": 80, \"mode\": \"static\"},\n"
			   "{\"address\": \"0.0.0.0\", \"port\": 80, "
			   "\"mode\": \"static\"}");
	EXPECT_ERR_AT(t, "80", 1, "listeners[1].port: 0.0.0.0:80 conflicts "
		      "with 198.18.1.1:80 of listener \"web\" (listeners[0]); "
		      "0.0.0.0 covers every address", "");
	t = with_listeners("{\"address\": \"0.0.0.0\", \"port\": 80, "
			   "\"mode\": \"static\"},\n"
			   "{\"address\": \"198.18.1.1\", \"port\": 80, "
			   "\"mode\": \"static\"}");
	EXPECT_ERR_AT(t, "80", 1, "listeners[1].port: 198.18.1.1:80 conflicts "
		      "with 0.0.0.0:80 of listener \"listener0\"", "");
	t = with_listeners("{\"address\": \"0.0.0.0\", \"port\": 80, "
			   "\"mode\": \"static\"},\n"
			   "{\"address\": \"0.0.0.0\", \"port\": 80, "
			   "\"mode\": \"echo\"}");
	EXPECT_ERR_AT(t, "80", 1, "listeners[1].port: 0.0.0.0:80 is already "
		      "used by listener \"listener0\" (listeners[0])", "");
}

static void test_listener_names(void)
{
	const char *t;
	char longname[80];

	t = with_listeners("{\"name\": \"svc\", \"address\": \"198.18.0.1\", "
			   "\"port\": 7, \"mode\": \"echo\"},\n"
			   "{\"name\": \"svc\", \"address\": \"198.18.0.1\", "
			   "\"port\": 80, \"mode\": \"static\"}");
	EXPECT_ERR_AT(t, "\"svc\"", 1, "listeners[1].name: duplicate listener "
		      "name \"svc\" (also listeners[0])", "");
	t = with_listeners("{\"name\": \"listener1\", \"address\": "
			   "\"198.18.0.1\", \"port\": 7, \"mode\": \"echo\"},\n"
			   "{\"address\": \"198.18.0.1\", \"port\": 80, "
			   "\"mode\": \"static\"}");
	EXPECT_ERR_AT(t, "{\"address", 0, "listeners[1]: duplicate listener "
		      "name \"listener1\" (also listeners[0]); the name "
		      "defaults to \"listener<index>\"", "");
	t = with_listeners("{\"name\": \"echo service\", \"address\": "
			   "\"198.18.0.1\", \"port\": 7, \"mode\": \"echo\"}");
	EXPECT_ERR_AT(t, "\"echo service\"", 0, "listeners[0].name: \"echo "
		      "service\" may only contain letters, digits, '_' and '-'",
		      "");
	t = with_listeners("{\"name\": \"\", \"address\": \"198.18.0.1\", "
			   "\"port\": 7, \"mode\": \"echo\"}");
	EXPECT_ERR(t, "listeners[0].name: must not be empty", "");
	memset(longname, 'n', 64);
	longname[64] = '\0';
	EXPECT_ERR(fmt("{\"ports\":[" PORT0 "], \"listeners\": [{\"name\": "
		       "\"%s\", \"address\": \"0.0.0.0\", \"port\": 7, "
		       "\"mode\": \"echo\"}]}", longname),
		   "listeners[0].name: is 64 bytes long, at most 63 allowed", "");
	longname[63] = '\0';
	EXPECT_OK(fmt("{\"ports\":[" PORT0 "], \"listeners\": [{\"name\": "
		      "\"%s\", \"address\": \"0.0.0.0\", \"port\": 7, "
		      "\"mode\": \"echo\"}]}", longname));
	CHECK(strcmp(cfg.listeners[0].name, longname) == 0);
}

static void test_tcp_ok(void)
{
	EXPECT_OK(with_tcp("{}"));
	check_tcp_defaults();
	EXPECT_OK(with_tcp("{\"keepalive\": {}}"));
	check_tcp_defaults();
	EXPECT_OK(with_tcp("{\"congestion\": \"newreno\", \"rcvbuf\": 4096,"
			   " \"sndbuf\": 67108864, \"max_connections\": 1,"
			   " \"syn_cookies\": \"never\", \"time_wait_ms\": 0,"
			   " \"max_time_wait\": 4194304, \"rto_min_ms\": 60000,"
			   " \"rto_max_ms\": 60000, \"rto_initial_ms\": 1,"
			   " \"delayed_ack_ms\": 500, \"keepalive\": "
			   "{\"enabled\": true, \"idle_ms\": 86400000,"
			   " \"interval_ms\": 1000, \"probes\": 1},"
			   " \"ooo_max_segments\": 65536, \"sack\": false,"
			   " \"timestamps\": false, \"window_scaling\": false,"
			   " \"mss_clamp\": 1460}"));
	CHECK_EQ(cfg.tcp.congestion, DPX_CC_NEWRENO);
	CHECK_EQ(cfg.tcp.rcvbuf, 4096);
	CHECK_EQ(cfg.tcp.sndbuf, 67108864);
	CHECK_EQ(cfg.tcp.max_connections, 1);
	CHECK_EQ(cfg.tcp.syn_cookies, DPX_SYNCOOKIE_NEVER);
	CHECK_EQ(cfg.tcp.time_wait_ms, 0);
	CHECK_EQ(cfg.tcp.max_time_wait, 4194304);
	CHECK_EQ(cfg.tcp.rto_min_ms, 60000);
	CHECK_EQ(cfg.tcp.rto_max_ms, 60000);
	CHECK_EQ(cfg.tcp.rto_initial_ms, 1);
	CHECK_EQ(cfg.tcp.delayed_ack_ms, 500);
	CHECK(cfg.tcp.keepalive);
	CHECK_EQ(cfg.tcp.keepalive_idle_ms, 86400000);
	CHECK_EQ(cfg.tcp.keepalive_interval_ms, 1000);
	CHECK_EQ(cfg.tcp.keepalive_probes, 1);
	CHECK_EQ(cfg.tcp.ooo_max_segments, 65536);
	CHECK(!cfg.tcp.sack);
	CHECK(!cfg.tcp.timestamps);
	CHECK(!cfg.tcp.window_scaling);
	CHECK_EQ(cfg.tcp.mss_clamp, 1460);
	EXPECT_OK(with_tcp("{\"syn_cookies\": \"always\", \"congestion\": "
			   "\"cubic\", \"mss_clamp\": 0}"));
	CHECK_EQ(cfg.tcp.syn_cookies, DPX_SYNCOOKIE_ALWAYS);
	CHECK_EQ(cfg.tcp.congestion, DPX_CC_CUBIC);
	CHECK_EQ(cfg.tcp.mss_clamp, 0);
}

static void test_tcp_errors(void)
{
	const char *t;

	t = with_tcp("{\"congestion\": \"bbr\"}");
	EXPECT_ERR_AT(t, "\"bbr\"", 0, "tcp.congestion: \"bbr\" is not one of "
		      "newreno, cubic", "");
	t = with_tcp("{\"syn_cookies\": \"sometimes\"}");
	EXPECT_ERR_AT(t, "\"sometimes\"", 0, "tcp.syn_cookies: \"sometimes\" is "
		      "not one of auto, always, never", "");
	t = with_tcp("{\"syn_cookies\": true}");
	EXPECT_ERR_AT(t, "true", 0, "tcp.syn_cookies: expected a string, got "
		      "boolean", "");
	t = with_tcp("{\"rto_min_ms\": 500, \"rto_max_ms\": 400}");
	EXPECT_ERR_AT(t, "400", 0, "tcp.rto_max_ms: 400 is less than "
		      "rto_min_ms (500)", "");
	t = with_tcp("{\"rto_max_ms\": 100}");
	EXPECT_ERR_AT(t, "100", 0, "tcp.rto_max_ms: 100 is less than "
		      "rto_min_ms (200)", "");
	t = with_tcp("{\"rto_max_ms\": 600001}");
	EXPECT_ERR_AT(t, "600001", 0, "tcp.rto_max_ms: 600001 is out of range "
		      "1..600000", "");
	t = with_tcp("{\"nagle\": false}");
	EXPECT_ERR_AT(t, "\"nagle\"", 0, "tcp.nagle: unknown key \"nagle\"",
		      "");
	t = with_tcp("[]");
	EXPECT_ERR_AT(t, "[]", 0, "tcp: expected an object, got array", "");
	t = with_tcp("{\"sack\": \"yes\"}");
	EXPECT_ERR_AT(t, "\"yes\"", 0, "tcp.sack: expected a boolean, got "
		      "string", "");
	EXPECT_ERR(with_tcp("{\"timestamps\": 1}"), "tcp.timestamps: expected "
		   "a boolean, got integer", "");
	EXPECT_ERR(with_tcp("{\"window_scaling\": null}"), "tcp.window_scaling: "
		   "expected a boolean, got null", "");
}

/* Each numeric key just past both ends of its range. */
static void test_tcp_ranges(void)
{
	static const struct { const char *key; long long lo, hi; } r[] = {
		{ "rcvbuf", 4096, 67108864 }, { "sndbuf", 4096, 67108864 },
		{ "max_connections", 1, 4194304 },
		{ "time_wait_ms", 0, 240000 }, { "max_time_wait", 0, 4194304 },
		{ "rto_min_ms", 1, 60000 }, { "rto_initial_ms", 1, 60000 },
		{ "delayed_ack_ms", 0, 500 }, { "ooo_max_segments", 0, 65536 },
	};
	char want[128], val[32], at[40];

	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		long long bad[2] = { r[i].lo - 1, r[i].hi + 1 };

		for (int j = 0; j < 2; j++) {
			char tcp[128];

			snprintf(val, sizeof(val), "%lld", bad[j]);
			snprintf(tcp, sizeof(tcp), "{\"%s\": %s}", r[i].key, val);
			snprintf(want, sizeof(want), "tcp.%s: %s is out of "
				 "range %lld..%lld", r[i].key, val, r[i].lo,
				 r[i].hi);
			snprintf(at, sizeof(at), "%s}", val);
			EXPECT_ERR_AT(with_tcp(tcp), at, 0, want, "");
		}
	}
	EXPECT_ERR(with_tcp("{\"rcvbuf\": 65536.0}"), "tcp.rcvbuf: expected "
		   "an integer, got real number", "");
}

static void test_tcp_keepalive(void)
{
	const char *t;

	t = with_tcp("{\"keepalive\": {\"enabled\": true, \"count\": 5}}");
	EXPECT_ERR_AT(t, "\"count\"", 0, "tcp.keepalive.count: unknown key "
		      "\"count\"", "");
	t = with_tcp("{\"keepalive\": true}");
	EXPECT_ERR_AT(t, "true", 0, "tcp.keepalive: expected an object, got "
		      "boolean", "");
	t = with_tcp("{\"keepalive\": {\"enabled\": 1}}");
	EXPECT_ERR_AT(t, "1}", 0, "tcp.keepalive.enabled: expected a boolean, "
		      "got integer", "");
	t = with_tcp("{\"keepalive\": {\"idle_ms\": 999}}");
	EXPECT_ERR_AT(t, "999", 0, "tcp.keepalive.idle_ms: 999 is out of "
		      "range 1000..86400000", "");
	EXPECT_ERR(with_tcp("{\"keepalive\": {\"idle_ms\": 86400001}}"),
		   "tcp.keepalive.idle_ms: 86400001 is out of range", "");
	t = with_tcp("{\"keepalive\": {\"interval_ms\": 3600001}}");
	EXPECT_ERR_AT(t, "3600001", 0, "tcp.keepalive.interval_ms: 3600001 is "
		      "out of range 1000..3600000", "");
	EXPECT_ERR(with_tcp("{\"keepalive\": {\"interval_ms\": 999}}"),
		   "tcp.keepalive.interval_ms: 999 is out of range", "");
	t = with_tcp("{\"keepalive\": {\"probes\": 0}}");
	EXPECT_ERR_AT(t, "0}", 0, "tcp.keepalive.probes: 0 is out of range "
		      "1..100", "");
	EXPECT_ERR(with_tcp("{\"keepalive\": {\"probes\": 101}}"),
		   "tcp.keepalive.probes: 101 is out of range 1..100", "");
	/* the object alone does not enable keepalive */
	EXPECT_OK(with_tcp("{\"keepalive\": {\"probes\": 3}}"));
	CHECK(!cfg.tcp.keepalive);
	CHECK_EQ(cfg.tcp.keepalive_probes, 3);
}

static void test_tcp_mss_clamp(void)
{
	const char *t;

	t = "{\"ports\":[{\"device\":\"a\",\"addresses\":[\"10.0.0.1/8\"],"
	    "\"mtu\":9000}, {\"name\":\"small\",\"device\":\"b\","
	    "\"addresses\":[\"11.0.0.1/8\"],\"mtu\":1400}],\n"
	    "\"tcp\": {\"mss_clamp\": 1361}}";
	EXPECT_ERR_AT(t, "1361", 0, "tcp.mss_clamp: 1361 is more than the "
		      "smallest port MTU minus 40 (1360: port \"small\" has "
		      "MTU 1400)", "");
	t = "{\"ports\":[{\"device\":\"a\",\"addresses\":[\"10.0.0.1/8\"],"
	    "\"mtu\":9000}, {\"name\":\"small\",\"device\":\"b\","
	    "\"addresses\":[\"11.0.0.1/8\"],\"mtu\":1400}],\n"
	    "\"tcp\": {\"mss_clamp\": 1360}}";
	EXPECT_OK(t);
	CHECK_EQ(cfg.tcp.mss_clamp, 1360);
	EXPECT_OK(one_port_tcp(9000, "{\"mss_clamp\": 8960}"));
	CHECK_EQ(cfg.tcp.mss_clamp, 8960);
	EXPECT_ERR(with_tcp("{\"mss_clamp\": 1461}"), "tcp.mss_clamp: 1461 is "
		   "more than the smallest port MTU minus 40 (1460", "");
	EXPECT_OK(with_tcp("{\"mss_clamp\": 536}"));
	CHECK_EQ(cfg.tcp.mss_clamp, 536);
	t = with_tcp("{\"mss_clamp\": 535}");
	EXPECT_ERR_AT(t, "535", 0, "tcp.mss_clamp: 535 is out of range "
		      "536..9000 (or 0: derive from the port MTU)", "");
	EXPECT_ERR(with_tcp("{\"mss_clamp\": 9001}"), "tcp.mss_clamp: 9001 is "
		   "out of range 536..9000", "");
	EXPECT_ERR(with_tcp("{\"mss_clamp\": -1}"), "tcp.mss_clamp: -1 is out "
		   "of range 536..9000", "");
	EXPECT_ERR(with_tcp("{\"mss_clamp\": \"auto\"}"), "tcp.mss_clamp: "
		   "expected an integer, got string", "");
	/* a small MTU leaves no valid clamp; 0 still works */
	EXPECT_ERR(one_port_tcp(575, "{\"mss_clamp\": 536}"),
		   "tcp.mss_clamp: 536 is more than the smallest port MTU minus "
		   "40 (535: port \"net_tap0\" has MTU 575)", "");
	EXPECT_OK(one_port_tcp(68, "{\"mss_clamp\": 0}"));
}

/* ---------------------------------------------------------------------- */
/* Pools, routes, proxy listeners                                           */

#define WEB_POOL "{\"name\": \"web\", \"servers\": [{\"address\": " \
		 "\"198.18.1.2\", \"port\": 8080}]}"
#define HTTP80 "{\"address\": \"198.18.0.1\", \"port\": 80, " \
	       "\"mode\": \"http\", \"pool\": \"web\"}"

/* Two ports (198.18.0.1/24, 198.18.1.1/24), the pools and listeners. */
static const char *with_proxy(const char *pools, const char *listeners)
{
	return fmt("{\"ports\":[" PORT0 "," PORT1 "],\n\"pools\": [%s],\n"
		   "\"listeners\": [%s]}", pools, listeners);
}

/* One pool with extra members appended to {"name": "web", "servers"...}. */
static const char *pool_with(const char *extra)
{
	return fmt("{\"ports\":[" PORT0 "," PORT1 "],\n\"pools\": [{\"name\": "
		   "\"web\", \"servers\": [{\"address\": \"198.18.1.2\", "
		   "\"port\": 8080}], %s}]}", extra);
}

/* The web pool and one http listener with the given routes. */
static const char *with_routes(const char *routes)
{
	return fmt("{\"ports\":[" PORT0 "," PORT1 "],\n\"pools\": [" WEB_POOL
		   ", {\"name\": \"api\", \"servers\": [{\"address\": "
		   "\"198.18.1.3\", \"port\": 80}]}],\n\"listeners\": "
		   "[{\"address\": \"198.18.0.1\", \"port\": 80, \"mode\": "
		   "\"http\", \"routes\": [%s]}]}", routes);
}

/* The web pool and one http listener with the given "http" object. */
static const char *with_http(const char *http)
{
	return fmt("{\"ports\":[" PORT0 "," PORT1 "],\n\"pools\": [" WEB_POOL
		   "],\n\"listeners\": [{\"address\": \"198.18.0.1\", "
		   "\"port\": 80, \"mode\": \"http\", \"pool\": \"web\", "
		   "\"http\": %s}]}", http);
}

/* Proxy settings every listener gets when it has none of its own. */
static void check_listener_proxy_defaults(const struct dpx_listener_conf *l)
{
	CHECK_EQ(l->n_routes, 0);
	CHECK_EQ(l->max_connections, 0);
	CHECK_EQ(l->max_connections_per_ip, 0);
	CHECK_EQ(l->client_timeout_ms, 10000);
	CHECK_EQ(l->idle_timeout_ms, 60000);
	CHECK(!l->access_log);
	CHECK_EQ(l->http.max_line, 8192);
	CHECK_EQ(l->http.max_headers, 100);
	CHECK_EQ(l->http.max_head, 65536);
	CHECK_EQ(l->http.max_body, 0);
	CHECK_EQ(l->http.forwarded, DPX_FWD_XFF);
	CHECK(l->http.via);
	CHECK_EQ(l->http.server_header, DPX_SRVHDR_HIDE);
	CHECK(strcmp(l->http.server_header_value, "") == 0);
}

static void check_pool_defaults(const struct dpx_pool_conf *p)
{
	CHECK_EQ(p->balance, DPX_LB_ROUNDROBIN);
	CHECK_EQ(p->hash_key, DPX_HASH_SOURCE);
	CHECK(strcmp(p->hash_name, "") == 0);
	CHECK_EQ(p->health.type, DPX_HEALTH_NONE);
	CHECK_EQ(p->health.interval_ms, 2000);
	CHECK_EQ(p->health.timeout_ms, 1000);
	CHECK_EQ(p->health.rise, 2);
	CHECK_EQ(p->health.fall, 3);
	CHECK(strcmp(p->health.path, "/") == 0);
	CHECK(strcmp(p->health.host, "") == 0);
	CHECK_EQ(p->health.expect_status, 0);
	CHECK(strcmp(p->health.expect_body, "") == 0);
	CHECK_EQ(p->slow_start_ms, 0);
	CHECK_EQ(p->max_fails, 3);
	CHECK_EQ(p->eject_ms, 10000);
	CHECK_EQ(p->keepalive_max_idle, 32);
	CHECK_EQ(p->keepalive_idle_ms, 15000);
	CHECK_EQ(p->queue_max, 128);
	CHECK_EQ(p->queue_timeout_ms, 2000);
	CHECK_EQ(p->retries, 1);
	CHECK_EQ(p->connect_timeout_ms, 2000);
	CHECK_EQ(p->response_timeout_ms, 30000);
}

static void test_proxy_defaults(void)
{
	const struct dpx_server_conf *s;

	EXPECT_OK(with_proxy(WEB_POOL, HTTP80 ", " ECHO7 ", {\"address\": "
			     "\"198.18.0.1\", \"port\": 9000, \"mode\": "
			     "\"tcp\", \"pool\": \"web\"}"));
	CHECK_EQ(cfg.n_pools, 1);
	CHECK(strcmp(cfg.pools[0].name, "web") == 0);
	check_pool_defaults(&cfg.pools[0]);
	CHECK_EQ(cfg.pools[0].n_servers, 1);
	s = &cfg.pools[0].servers[0];
	CHECK(strcmp(s->name, "198.18.1.2:8080") == 0);
	CHECK_EQ(s->addr, 0xC6120102u);
	CHECK_EQ(s->port, 8080);
	CHECK_EQ(s->weight, 1);
	CHECK_EQ(s->max_connections, 0);
	CHECK_EQ(cfg.n_listeners, 3);
	CHECK_EQ(cfg.listeners[0].mode, DPX_LISTEN_HTTP);
	CHECK_EQ(cfg.listeners[0].pool, 0);
	CHECK_EQ(cfg.listeners[0].first_route, 0);
	check_listener_proxy_defaults(&cfg.listeners[0]);
	/* not a proxy: no pool, but the defaults all the same */
	CHECK_EQ(cfg.listeners[1].mode, DPX_LISTEN_ECHO);
	CHECK_EQ(cfg.listeners[1].pool, -1);
	check_listener_proxy_defaults(&cfg.listeners[1]);
	CHECK_EQ(cfg.listeners[2].mode, DPX_LISTEN_TCP);
	CHECK_EQ(cfg.listeners[2].pool, 0);
	check_listener_proxy_defaults(&cfg.listeners[2]);
	CHECK_EQ(cfg.n_routes, 0);
	CHECK(strcmp(cfg.access_log.path, "") == 0);
	/* static listeners without pools get them too */
	EXPECT_OK(with_listeners("{\"address\": \"0.0.0.0\", \"port\": 80, "
				 "\"mode\": \"static\"}"));
	CHECK_EQ(cfg.listeners[0].pool, -1);
	check_listener_proxy_defaults(&cfg.listeners[0]);
	/* empty objects change nothing */
	EXPECT_OK(pool_with("\"health\": {}, \"keepalive\": {}, \"queue\": {}"));
	check_pool_defaults(&cfg.pools[0]);
	EXPECT_OK(with_http("{}"));
	check_listener_proxy_defaults(&cfg.listeners[0]);
}

static const char full_proxy[] =
	"{\"ports\": [" PORT0 ", " PORT1 "],\n"
	"\"pools\": [\n"
	" {\"name\": \"web\", \"balance\": \"leastconn\", \"servers\": [\n"
	"   {\"name\": \"s1\", \"address\": \"198.18.1.2\", \"port\": 8081,"
	" \"weight\": 256, \"max_connections\": 7},\n"
	"   {\"address\": \"198.18.1.3\", \"port\": 8082}],\n"
	"  \"health\": {\"type\": \"http\", \"interval_ms\": 100,"
	" \"timeout_ms\": 99, \"rise\": 1, \"fall\": 100, \"path\": \"/h?x=1\","
	" \"host\": \"h.example:8080\", \"expect_status\": 204,"
	" \"expect_body\": \"all good\"},\n"
	"  \"slow_start_ms\": 3600000, \"max_fails\": 0, \"eject_ms\": 100,\n"
	"  \"keepalive\": {\"max_idle\": 0, \"idle_timeout_ms\": 100},\n"
	"  \"queue\": {\"max\": 65536, \"timeout_ms\": 10},\n"
	"  \"retries\": 10, \"connect_timeout_ms\": 600000,"
	" \"response_timeout_ms\": 10},\n"
	" {\"name\": \"api\", \"balance\": \"hash\","
	" \"hash_key\": \"header:X-User-Id\","
	" \"servers\": [{\"address\": \"198.18.1.4\", \"port\": 80}]},\n"
	" {\"name\": \"sticky\", \"balance\": \"hash\","
	" \"hash_key\": \"cookie:sid\","
	" \"servers\": [{\"address\": \"198.18.1.4\", \"port\": 81}]},\n"
	" {\"name\": \"uri\", \"balance\": \"hash\", \"hash_key\": \"uri\","
	" \"servers\": [{\"address\": \"198.18.1.4\", \"port\": 82}]},\n"
	" {\"name\": \"db\", \"balance\": \"random\","
	" \"health\": {\"type\": \"tcp\"},"
	" \"servers\": [{\"address\": \"198.18.1.5\", \"port\": 5432}]}\n"
	"],\n"
	"\"listeners\": [\n"
	" {\"address\": \"198.18.0.1\", \"port\": 80, \"mode\": \"http\","
	" \"pool\": \"web\", \"routes\": [\n"
	"   {\"host\": \"*.Example.COM\", \"path\": \"/api\", \"pool\": \"api\",\n"
	"    \"request_headers\": {\"set\": {\"X-A\": \"v\", \"X-B\": \"w \\tw\"},"
	" \"remove\": [\"X-C\"]},\n"
	"    \"response_headers\": {\"set\": {\"Cache-Control\": \"\"},"
	" \"remove\": [\"Server\", \"X-Powered-By\"]}},\n"
	"   {\"host\": \"\", \"path\": \"\", \"pool\": \"uri\"}],\n"
	"  \"max_connections\": 16777216, \"max_connections_per_ip\": 1,\n"
	"  \"client_timeout_ms\": 100, \"idle_timeout_ms\": 3600000,"
	" \"access_log\": true,\n"
	"  \"http\": {\"max_line\": 256, \"max_headers\": 1, \"max_head\": 1024,"
	" \"max_body\": 9007199254740993, \"forwarded\": \"both\","
	" \"via\": false, \"server_header\": \"dpx/1.0 (test)\"}},\n"
	" " ECHO7 ",\n"
	" {\"address\": \"198.18.0.1\", \"port\": 81, \"mode\": \"http\","
	" \"routes\": [{\"host\": \"a.b\", \"path\": \"/x\", \"pool\": \"web\"},"
	" {\"host\": \"a.b\", \"pool\": \"sticky\"},"
	" {\"path\": \"/\", \"pool\": \"api\"}],\n"
	"  \"http\": {\"server_header\": \"pass\", \"forwarded\": \"none\"}},\n"
	" {\"address\": \"0.0.0.0\", \"port\": 9000, \"mode\": \"tcp\","
	" \"pool\": \"db\", \"access_log\": true}\n"
	"],\n"
	"\"access_log\": {\"path\": \"/var/log/dpx/access.log\"}}\n";

static void test_proxy_full_pools(void)
{
	const struct dpx_pool_conf *p = &cfg.pools[0];

	EXPECT_OK(full_proxy);
	CHECK_EQ(cfg.n_pools, 5);
	CHECK_EQ(p->balance, DPX_LB_LEASTCONN);
	CHECK_EQ(p->n_servers, 2);
	CHECK(strcmp(p->servers[0].name, "s1") == 0);
	CHECK_EQ(p->servers[0].weight, 256);
	CHECK_EQ(p->servers[0].max_connections, 7);
	CHECK(strcmp(p->servers[1].name, "198.18.1.3:8082") == 0);
	CHECK_EQ(p->servers[1].addr, 0xC6120103u);
	CHECK_EQ(p->servers[1].port, 8082);
	CHECK_EQ(p->health.type, DPX_HEALTH_HTTP);
	CHECK_EQ(p->health.interval_ms, 100);
	CHECK_EQ(p->health.timeout_ms, 99);
	CHECK_EQ(p->health.rise, 1);
	CHECK_EQ(p->health.fall, 100);
	CHECK(strcmp(p->health.path, "/h?x=1") == 0);
	CHECK(strcmp(p->health.host, "h.example:8080") == 0);
	CHECK_EQ(p->health.expect_status, 204);
	CHECK(strcmp(p->health.expect_body, "all good") == 0);
	CHECK_EQ(p->slow_start_ms, 3600000);
	CHECK_EQ(p->max_fails, 0);
	CHECK_EQ(p->eject_ms, 100);
	CHECK_EQ(p->keepalive_max_idle, 0);
	CHECK_EQ(p->keepalive_idle_ms, 100);
	CHECK_EQ(p->queue_max, 65536);
	CHECK_EQ(p->queue_timeout_ms, 10);
	CHECK_EQ(p->retries, 10);
	CHECK_EQ(p->connect_timeout_ms, 600000);
	CHECK_EQ(p->response_timeout_ms, 10);
	/* hash_key "header:NAME" / "cookie:NAME" split into key and name */
	CHECK_EQ(cfg.pools[1].balance, DPX_LB_HASH);
	CHECK_EQ(cfg.pools[1].hash_key, DPX_HASH_HEADER);
	CHECK(strcmp(cfg.pools[1].hash_name, "X-User-Id") == 0);
	CHECK_EQ(cfg.pools[2].hash_key, DPX_HASH_COOKIE);
	CHECK(strcmp(cfg.pools[2].hash_name, "sid") == 0);
	CHECK_EQ(cfg.pools[3].hash_key, DPX_HASH_URI);
	CHECK(strcmp(cfg.pools[3].hash_name, "") == 0);
	CHECK_EQ(cfg.pools[4].balance, DPX_LB_RANDOM);
	CHECK_EQ(cfg.pools[4].health.type, DPX_HEALTH_TCP);
	CHECK(strcmp(cfg.pools[4].name, "db") == 0);
	CHECK(strcmp(cfg.access_log.path, "/var/log/dpx/access.log") == 0);
}

static void test_proxy_full_listeners(void)
{
	const struct dpx_listener_conf *l = &cfg.listeners[0];

	EXPECT_OK(full_proxy);
	CHECK_EQ(cfg.n_listeners, 4);
	CHECK_EQ(l->pool, 0);
	CHECK_EQ(l->max_connections, 16777216);
	CHECK_EQ(l->max_connections_per_ip, 1);
	CHECK_EQ(l->client_timeout_ms, 100);
	CHECK_EQ(l->idle_timeout_ms, 3600000);
	CHECK(l->access_log);
	CHECK_EQ(l->http.max_line, 256);
	CHECK_EQ(l->http.max_headers, 1);
	CHECK_EQ(l->http.max_head, 1024);
	CHECK(l->http.max_body == 9007199254740993ull);
	CHECK_EQ(l->http.forwarded, DPX_FWD_BOTH);
	CHECK(!l->http.via);
	CHECK_EQ(l->http.server_header, DPX_SRVHDR_REPLACE);
	CHECK(strcmp(l->http.server_header_value, "dpx/1.0 (test)") == 0);
	CHECK_EQ(cfg.listeners[1].pool, -1);
	check_listener_proxy_defaults(&cfg.listeners[1]);
	/* routes only: no default pool */
	l = &cfg.listeners[2];
	CHECK_EQ(l->pool, -1);
	CHECK_EQ(l->http.server_header, DPX_SRVHDR_PASS);
	CHECK_EQ(l->http.forwarded, DPX_FWD_NONE);
	CHECK(l->http.via);
	l = &cfg.listeners[3];
	CHECK_EQ(l->mode, DPX_LISTEN_TCP);
	CHECK_EQ(l->pool, 4);
	CHECK(l->access_log);
}

static void test_proxy_full_routes(void)
{
	const struct dpx_route_conf *r = &cfg.routes[0];

	EXPECT_OK(full_proxy);
	/* each listener owns a contiguous run of cfg.routes */
	CHECK_EQ(cfg.n_routes, 5);
	CHECK_EQ(cfg.listeners[0].first_route, 0);
	CHECK_EQ(cfg.listeners[0].n_routes, 2);
	CHECK_EQ(cfg.listeners[1].first_route, 2);
	CHECK_EQ(cfg.listeners[1].n_routes, 0);
	CHECK_EQ(cfg.listeners[2].first_route, 2);
	CHECK_EQ(cfg.listeners[2].n_routes, 3);
	CHECK_EQ(cfg.listeners[3].first_route, 5);
	CHECK_EQ(cfg.listeners[3].n_routes, 0);
	/* hosts are kept in lower case */
	CHECK(strcmp(r->host, "*.example.com") == 0);
	CHECK(strcmp(r->path_prefix, "/api") == 0);
	CHECK_EQ(r->pool, 1);
	CHECK_EQ(r->request.n_set, 2);
	CHECK(strcmp(r->request.set[0].name, "X-A") == 0);
	CHECK(strcmp(r->request.set[0].value, "v") == 0);
	CHECK(strcmp(r->request.set[1].name, "X-B") == 0);
	CHECK(strcmp(r->request.set[1].value, "w \tw") == 0);
	CHECK_EQ(r->request.n_remove, 1);
	CHECK(strcmp(r->request.remove[0], "X-C") == 0);
	CHECK_EQ(r->response.n_set, 1);
	CHECK(strcmp(r->response.set[0].name, "Cache-Control") == 0);
	CHECK(strcmp(r->response.set[0].value, "") == 0);
	CHECK_EQ(r->response.n_remove, 2);
	CHECK(strcmp(r->response.remove[1], "X-Powered-By") == 0);
	r = &cfg.routes[1];
	CHECK(strcmp(r->host, "") == 0);
	CHECK(strcmp(r->path_prefix, "") == 0);
	CHECK_EQ(r->pool, 3);
	CHECK_EQ(r->request.n_set + r->request.n_remove, 0);
	CHECK_EQ(r->response.n_set + r->response.n_remove, 0);
	CHECK(strcmp(cfg.routes[2].host, "a.b") == 0);
	CHECK(strcmp(cfg.routes[2].path_prefix, "/x") == 0);
	CHECK_EQ(cfg.routes[2].pool, 0);
	CHECK(strcmp(cfg.routes[3].host, "a.b") == 0);
	CHECK(strcmp(cfg.routes[3].path_prefix, "") == 0);
	CHECK_EQ(cfg.routes[3].pool, 2);
	CHECK(strcmp(cfg.routes[4].path_prefix, "/") == 0);
	CHECK_EQ(cfg.routes[4].pool, 1);
}

/* Append formatted text to buf (size bytes), cut when full. */
static void append(char *buf, size_t size, const char *f, ...)
	__attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t size, const char *f, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	va_start(ap, f);
	vsnprintf(buf + len, size - len, f, ap);
	va_end(ap);
}

static void test_proxy_limits(void)
{
	char list[8192] = "";

	/* 16 pools, 17 */
	for (int i = 0; i < 16; i++)
		append(list, sizeof(list), "%s{\"name\": \"p%d\", \"servers\": "
		       "[{\"address\": \"198.18.1.2\", \"port\": %d}]}",
		       i ? ", " : "", i, 1000 + i);
	EXPECT_OK(with_proxy(list, ""));
	CHECK_EQ(cfg.n_pools, 16);
	CHECK(strcmp(cfg.pools[15].name, "p15") == 0);
	CHECK_EQ(cfg.pools[15].servers[0].port, 1015);
	append(list, sizeof(list), ", " WEB_POOL);
	EXPECT_ERR_AT(with_proxy(list, ""), "[{\"name\"", 0,
		      "pools: at most 16 pools allowed, got 17", "");
	/* 64 servers, 65 */
	list[0] = '\0';
	for (int i = 0; i < 64; i++)
		append(list, sizeof(list), "%s{\"address\": \"198.18.1.%d\", "
		       "\"port\": 80}", i ? ", " : "", 2 + i);
	EXPECT_OK(fmt("{\"ports\":[" PORT0 "," PORT1 "],\n\"pools\": "
		      "[{\"name\": \"big\", \"servers\": [%s]}]}", list));
	CHECK_EQ(cfg.pools[0].n_servers, 64);
	CHECK(strcmp(cfg.pools[0].servers[63].name, "198.18.1.65:80") == 0);
	append(list, sizeof(list), ", {\"address\": \"198.18.1.2\", "
	       "\"port\": 81}");
	EXPECT_ERR(fmt("{\"ports\":[" PORT0 "," PORT1 "],\n\"pools\": "
		       "[{\"name\": \"big\", \"servers\": [%s]}]}", list),
		   "pools[0].servers: expected 1..64 servers, got 65", "");
}

/* 128 routes over all listeners, 129 */
static void test_route_limit(void)
{
	char a[4096] = "", b[4096] = "";
	const char *t;

	for (int i = 0; i < 64; i++) {
		append(a, sizeof(a), "%s{\"path\": \"/a%d\", \"pool\": "
		       "\"web\"}", i ? "," : "", i);
		append(b, sizeof(b), "%s{\"path\": \"/b%d\", \"pool\": "
		       "\"web\"}", i ? "," : "", i);
	}
	t = fmt("{\"ports\":[" PORT0 "," PORT1 "],\n\"pools\": [" WEB_POOL
		"],\n\"listeners\": [{\"address\": \"198.18.0.1\", \"port\": "
		"80, \"mode\": \"http\", \"routes\": [%s]},\n{\"address\": "
		"\"198.18.0.1\", \"port\": 81, \"mode\": \"http\", \"routes\": "
		"[%s]}]}", a, b);
	EXPECT_OK(t);
	CHECK_EQ(cfg.n_routes, 128);
	CHECK_EQ(cfg.listeners[1].first_route, 64);
	CHECK_EQ(cfg.listeners[1].n_routes, 64);
	CHECK(strcmp(cfg.routes[127].path_prefix, "/b63") == 0);
	append(b, sizeof(b), ",{\"path\": \"/b64\", \"pool\": \"web\"}");
	t = fmt("{\"ports\":[" PORT0 "," PORT1 "],\n\"pools\": [" WEB_POOL
		"],\n\"listeners\": [{\"address\": \"198.18.0.1\", \"port\": "
		"80, \"mode\": \"http\", \"routes\": [%s]},\n{\"address\": "
		"\"198.18.0.1\", \"port\": 81, \"mode\": \"http\", \"routes\": "
		"[%s]}]}", a, b);
	EXPECT_ERR_AT(t, "[{\"path\": \"/b0\"", 0, "listeners[1].routes: too "
		      "many routes: 65 here and 64 in earlier listeners, at "
		      "most 128 in all", "");
}

static void test_pool_errors(void)
{
	const char *t;

	t = with_proxy(WEB_POOL ", {\"name\": \"web\", \"servers\": "
		       "[{\"address\": \"198.18.1.3\", \"port\": 80}]}", "");
	EXPECT_ERR_AT(t, "\"web\"", 1, "pools[1].name: duplicate pool name "
		      "\"web\" (also pools[0])", "");
	t = with_proxy("{\"name\": \"a.b\", \"servers\": []}", "");
	EXPECT_ERR_AT(t, "\"a.b\"", 0, "pools[0].name: \"a.b\" may only "
		      "contain letters, digits, '_' and '-'", "");
	t = with_proxy("{\"name\": \"web\"}", "");
	EXPECT_ERR_AT(t, "{\"name\"", 0, "pools[0]: missing required key "
		      "\"servers\"", "");
	t = pool_with("\"weights\": [1]");
	EXPECT_ERR_AT(t, "\"weights\"", 0, "pools[0].weights: unknown key "
		      "\"weights\"", "");
	t = pool_with("\"balance\": \"rr\"");
	EXPECT_ERR_AT(t, "\"rr\"", 0, "pools[0].balance: \"rr\" is not one of "
		      "roundrobin, leastconn, random, hash", "");
	/* hash_key: only with balance hash, reported at the key */
	t = pool_with("\"hash_key\": \"source\"");
	EXPECT_ERR_AT(t, "\"hash_key\"", 0, "pools[0].hash_key: only with "
		      "\"balance\": \"hash\"", "");
	t = pool_with("\"balance\": \"hash\", \"hash_key\": \"Header:X\"");
	EXPECT_ERR_AT(t, "\"Header:X\"", 0, "pools[0].hash_key: \"Header:X\" "
		      "is not one of source, uri, header:NAME, cookie:NAME", "");
	t = pool_with("\"balance\": \"hash\", \"hash_key\": \"cookie:\"");
	EXPECT_ERR_AT(t, "\"cookie:\"", 0, "pools[0].hash_key: the cookie "
		      "name must not be empty", "");
	t = pool_with("\"balance\": \"hash\", \"hash_key\": \"header:a b\"");
	EXPECT_ERR_AT(t, "\"header:a b\"", 0, "pools[0].hash_key: \"a b\" is "
		      "not a valid header name", "");
	t = pool_with("\"balance\": \"hash\", \"hash_key\": 1");
	EXPECT_ERR_AT(t, "1}", 0, "pools[0].hash_key: expected a string, got "
		      "integer", "");
	EXPECT_OK(pool_with("\"balance\": \"hash\", \"hash_key\": "
			    "\"header:!#$%&'*+-.^_`|~09azAZ\""));
	CHECK(strcmp(cfg.pools[0].hash_name, "!#$%&'*+-.^_`|~09azAZ") == 0);
	EXPECT_OK(pool_with("\"balance\": \"hash\"")); /* source by default */
	CHECK_EQ(cfg.pools[0].hash_key, DPX_HASH_SOURCE);
	t = pool_with("\"retries\": 11");
	EXPECT_ERR_AT(t, "11", 0, "pools[0].retries: 11 is out of range 0..10",
		      "");
	t = pool_with("\"eject_ms\": 99");
	EXPECT_ERR(t, "pools[0].eject_ms: 99 is out of range 100..3600000", "");
	t = pool_with("\"max_fails\": 101");
	EXPECT_ERR(t, "pools[0].max_fails: 101 is out of range 0..100", "");
	t = pool_with("\"connect_timeout_ms\": 600001");
	EXPECT_ERR(t, "pools[0].connect_timeout_ms: 600001 is out of range "
		   "10..600000", "");
	t = pool_with("\"keepalive\": {\"max_idle\": 4097}");
	EXPECT_ERR_AT(t, "4097", 0, "pools[0].keepalive.max_idle: 4097 is out "
		      "of range 0..4096", "");
	t = pool_with("\"keepalive\": true");
	EXPECT_ERR(t, "pools[0].keepalive: expected an object, got boolean", "");
	t = pool_with("\"queue\": {\"timeout_ms\": 0}");
	EXPECT_ERR_AT(t, "0}}", 0, "pools[0].queue.timeout_ms: 0 is out of "
		      "range 10..3600000", "");
	t = pool_with("\"queue\": {\"size\": 1}");
	EXPECT_ERR_AT(t, "\"size\"", 0, "pools[0].queue.size: unknown key", "");
}

static void test_server_errors(void)
{
	const char *t;

	t = with_proxy("{\"name\": \"web\", \"servers\": {}}", "");
	EXPECT_ERR(t, "pools[0].servers: expected an array of server objects, "
		   "got object", "");
	t = with_proxy("{\"name\": \"web\", \"servers\": [\"198.18.1.2\"]}", "");
	EXPECT_ERR(t, "pools[0].servers[0]: expected a server object, got "
		   "string", "");
	t = with_proxy("{\"name\": \"web\", \"servers\": [{\"port\": 80}]}", "");
	EXPECT_ERR_AT(t, "{\"port\"", 0, "pools[0].servers[0]: missing "
		      "required key \"address\"", "");
	t = with_proxy("{\"name\": \"web\", \"servers\": [{\"address\": "
		       "\"198.18.1.2\", \"port\": 0}]}", "");
	EXPECT_ERR_AT(t, "0}", 0, "pools[0].servers[0].port: 0 is out of range "
		      "1..65535", "");
	/* addresses that cannot be a server */
	static const char *const bad[][2] = {
		{ "0.1.2.3", "is not a unicast host address" },
		{ "224.0.0.1", "is not a unicast host address" },
		{ "240.0.0.1", "is not a unicast host address" },
		{ "255.255.255.255", "is not a unicast host address" },
		{ "127.0.0.1", "is not a unicast host address" },
		{ "198.18.0.1", "is an address of port \"net_tap0\" (dpx "
		  "itself)" },
		{ "198.18.1.0", "is the network or broadcast address of "
		  "198.18.1.0/24 (port \"net_tap1\")" },
		{ "198.18.1.255", "is the network or broadcast address" },
		{ "10.0.0.1", "is not reachable: it is outside every port's "
		  "prefixes and no port has a gateway" },
		{ "198.18.1.02", "is not an IPv4 address" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char pools[256], want[128], at[32];

		snprintf(pools, sizeof(pools), "{\"name\": \"web\", "
			 "\"servers\": [{\"address\": \"%s\", \"port\": 80}]}",
			 bad[i][0]);
		snprintf(want, sizeof(want), "pools[0].servers[0].address: "
			 "\"%s\" ", bad[i][0]);
		snprintf(at, sizeof(at), "\"%s\"", bad[i][0]);
		t = with_proxy(pools, "");
		EXPECT_ERR_AT(t, at, 0, want, bad[i][1]);
	}
	t = with_proxy("{\"name\": \"web\", \"servers\": [{\"address\": 1, "
		       "\"port\": 80}]}", "");
	EXPECT_ERR(t, "pools[0].servers[0].address: expected a string "
		   "\"a.b.c.d\", got integer", "");
	/* behind a gateway any unicast address is fine */
	t = "{\"ports\":[{\"device\":\"d\",\"addresses\":[\"198.18.0.1/24\"],"
	    "\"gateway\":\"198.18.0.254\"}], \"pools\": [{\"name\": \"w\", "
	    "\"servers\": [{\"address\": \"10.0.0.1\", \"port\": 80}]}]}";
	EXPECT_OK(t);
	CHECK_EQ(cfg.pools[0].servers[0].addr, 0x0A000001u);
	/* /31 has no network or broadcast address */
	t = "{\"ports\":[{\"device\":\"d\",\"addresses\":[\"10.0.0.0/31\"]}],"
	    " \"pools\": [{\"name\": \"w\", \"servers\": [{\"address\": "
	    "\"10.0.0.1\", \"port\": 80}]}]}";
	EXPECT_OK(t);
}

static void test_server_names(void)
{
	const char *t;

	t = with_proxy("{\"name\": \"web\", \"servers\": [\n"
		       "{\"name\": \"a\", \"address\": \"198.18.1.2\", "
		       "\"port\": 80},\n{\"name\": \"b\", \"address\": "
		       "\"198.18.1.2\", \"port\": 80}]}", "");
	EXPECT_ERR_AT(t, "80", 1, "pools[0].servers[1].port: 198.18.1.2:80 is "
		      "already in this pool as servers[0] (\"a\")", "");
	/* the same address on another port, or in another pool, is fine */
	EXPECT_OK(with_proxy("{\"name\": \"web\", \"servers\": [\n"
			     "{\"address\": \"198.18.1.2\", \"port\": 80},\n"
			     "{\"address\": \"198.18.1.2\", \"port\": 81}]},\n"
			     "{\"name\": \"web2\", \"servers\": [\n"
			     "{\"address\": \"198.18.1.2\", \"port\": 80}]}",
			     ""));
	CHECK(strcmp(cfg.pools[0].servers[1].name, "198.18.1.2:81") == 0);
	CHECK(strcmp(cfg.pools[1].servers[0].name, "198.18.1.2:80") == 0);
	t = with_proxy("{\"name\": \"web\", \"servers\": [\n"
		       "{\"name\": \"s\", \"address\": \"198.18.1.2\", "
		       "\"port\": 80},\n{\"name\": \"s\", \"address\": "
		       "\"198.18.1.3\", \"port\": 80}]}", "");
	EXPECT_ERR_AT(t, "\"s\"", 1, "pools[0].servers[1].name: duplicate "
		      "server name \"s\" (also servers[0])", "");
	t = with_proxy("{\"name\": \"web\", \"servers\": [\n"
		       "{\"name\": \"198.18.1.3:80\", \"address\": "
		       "\"198.18.1.2\", \"port\": 80},\n{\"address\": "
		       "\"198.18.1.3\", \"port\": 80}]}", "");
	EXPECT_ERR_AT(t, "{\"address\": \"198.18.1.3\"", 0,
		      "pools[0].servers[1]: duplicate server name "
		      "\"198.18.1.3:80\" (also servers[0]); the name defaults "
		      "to \"ADDR:PORT\"", "");
	t = with_proxy("{\"name\": \"web\", \"servers\": [{\"name\": \"a b\", "
		       "\"address\": \"198.18.1.2\", \"port\": 80}]}", "");
	EXPECT_ERR_AT(t, "\"a b\"", 0, "pools[0].servers[0].name: \"a b\" may "
		      "only contain letters, digits, '_', '-', '.' and ':'", "");
	t = with_proxy("{\"name\": \"web\", \"servers\": [{\"address\": "
		       "\"198.18.1.2\", \"port\": 80, \"weight\": 0}]}", "");
	EXPECT_ERR_AT(t, "0}", 0, "pools[0].servers[0].weight: 0 is out of "
		      "range 1..256", "");
	t = with_proxy("{\"name\": \"web\", \"servers\": [{\"address\": "
		       "\"198.18.1.2\", \"port\": 80, \"max_connections\": "
		       "16777217}]}", "");
	EXPECT_ERR(t, "pools[0].servers[0].max_connections: 16777217 is out "
		   "of range 0..16777216", "");
}

static void test_health_errors(void)
{
	const char *t;

	t = pool_with("\"health\": {\"type\": \"udp\"}");
	EXPECT_ERR_AT(t, "\"udp\"", 0, "pools[0].health.type: \"udp\" is not "
		      "one of none, tcp, http", "");
	/* http-only keys, at the key, also with the default type none */
	t = pool_with("\"health\": {\"type\": \"tcp\", \"expect_status\": 200}");
	EXPECT_ERR_AT(t, "\"expect_status\"", 0, "pools[0].health."
		      "expect_status: only with \"type\": \"http\"", "");
	t = pool_with("\"health\": {\"host\": \"a\"}");
	EXPECT_ERR_AT(t, "\"host\"", 0, "pools[0].health.host: only with "
		      "\"type\": \"http\"", "");
	t = pool_with("\"health\": {\"type\": \"tcp\", \"timeout_ms\": 2000}");
	EXPECT_ERR_AT(t, "2000", 0, "pools[0].health.timeout_ms: 2000 is not "
		      "less than interval_ms (2000)", "");
	t = pool_with("\"health\": {\"interval_ms\": 1000}");
	EXPECT_ERR_AT(t, "1000", 0, "pools[0].health.interval_ms: 1000 is not "
		      "more than timeout_ms (1000)", "");
	t = pool_with("\"health\": {\"interval_ms\": 500, \"timeout_ms\": 600}");
	EXPECT_ERR_AT(t, "600", 0, "pools[0].health.timeout_ms: 600 is not "
		      "less than interval_ms (500)", "");
	t = pool_with("\"health\": {\"interval_ms\": 99}");
	EXPECT_ERR(t, "pools[0].health.interval_ms: 99 is out of range "
		   "100..3600000", "");
	t = pool_with("\"health\": {\"fall\": 101}");
	EXPECT_ERR(t, "pools[0].health.fall: 101 is out of range 1..100", "");
	t = pool_with("\"health\": {\"type\": \"http\", \"path\": \"\"}");
	EXPECT_ERR(t, "pools[0].health.path: must not be empty", "");
	t = pool_with("\"health\": {\"type\": \"http\", \"path\": \"x/\"}");
	EXPECT_ERR_AT(t, "\"x/\"", 0, "pools[0].health.path: \"x/\" must start "
		      "with '/'", "");
	t = pool_with("\"health\": {\"type\": \"http\", \"path\": \"/\\u00e9\"}");
	EXPECT_ERR(t, "pools[0].health.path: ", "may only contain visible "
		   "ASCII characters (no spaces)");
	t = pool_with("\"health\": {\"type\": \"http\", \"host\": \"a b\"}");
	EXPECT_ERR(t, "pools[0].health.host: \"a b\" may only contain visible "
		   "ASCII characters (no spaces)", "");
	t = pool_with("\"health\": {\"type\": \"http\", \"expect_status\": 600}");
	EXPECT_ERR_AT(t, "600", 0, "pools[0].health.expect_status: 600 is out "
		      "of range 100..599 (or 0: any 2xx or 3xx)", "");
	t = pool_with("\"health\": {\"type\": \"http\", \"expect_status\": 1}");
	EXPECT_ERR_AT(t, "1}", 0, "pools[0].health.expect_status: 1 is out of "
		      "range 100..599 (or 0: any 2xx or 3xx)", "");
	t = pool_with("\"health\": {\"type\": \"http\", \"expect_body\": "
		      "\"a\\u0000\"}");
	EXPECT_ERR(t, "invalid JSON", "");
	t = pool_with("\"health\": {\"type\": \"http\", \"expect_body\": "
		      "\"a\\nb\"}");
	EXPECT_ERR(t, "pools[0].health.expect_body: \"a\\u000ab\" contains a "
		   "control character (CR, LF, ...)", "");
	EXPECT_OK(pool_with("\"health\": {\"type\": \"http\", \"expect_status\""
			    ": 100, \"expect_body\": \"caf\\u00e9\\tok\"}"));
	CHECK_EQ(cfg.pools[0].health.expect_status, 100);
	CHECK(strcmp(cfg.pools[0].health.expect_body, "caf\xc3\xa9\tok") == 0);
}

static void test_proxy_listener(void)
{
	const char *t;

	/* proxy keys on echo and static listeners, at the key */
	t = with_proxy(WEB_POOL, "{\"address\": \"198.18.0.1\", \"port\": 7, "
		       "\"mode\": \"echo\", \"pool\": \"web\"}");
	EXPECT_ERR_AT(t, "\"pool\"", 0, "listeners[0].pool: only for mode http "
		      "or tcp (this listener is mode echo)", "");
	t = with_proxy(WEB_POOL, "{\"address\": \"198.18.0.1\", \"port\": 7, "
		       "\"mode\": \"static\", \"access_log\": false}");
	EXPECT_ERR_AT(t, "\"access_log\"", 0, "listeners[0].access_log: only "
		      "for mode http or tcp (this listener is mode static)", "");
	t = with_proxy(WEB_POOL, "{\"address\": \"198.18.0.1\", \"port\": 7, "
		       "\"mode\": \"echo\", \"max_connections\": 1}");
	EXPECT_ERR(t, "listeners[0].max_connections: only for mode http or "
		   "tcp", "");
	/* what only http listeners have */
	t = with_proxy(WEB_POOL, "{\"address\": \"198.18.0.1\", \"port\": 9, "
		       "\"mode\": \"tcp\", \"pool\": \"web\", \"routes\": []}");
	EXPECT_ERR_AT(t, "\"routes\"", 0, "listeners[0].routes: only for mode "
		      "http (this listener is mode tcp)", "");
	t = with_proxy(WEB_POOL, "{\"address\": \"198.18.0.1\", \"port\": 9, "
		       "\"mode\": \"tcp\", \"http\": {}, \"pool\": \"web\"}");
	EXPECT_ERR_AT(t, "\"http\"", 0, "listeners[0].http: only for mode "
		      "http", "");
	t = with_proxy(WEB_POOL, "{\"address\": \"198.18.0.1\", \"port\": 9, "
		       "\"mode\": \"tcp\", \"pool\": \"web\", "
		       "\"idle_timeout_ms\": 1000}");
	EXPECT_ERR(t, "listeners[0].idle_timeout_ms: only for mode http", "");
	/* unknown pools: the message lists the defined ones */
	t = with_proxy(WEB_POOL ", {\"name\": \"api\", \"servers\": "
		       "[{\"address\": \"198.18.1.3\", \"port\": 80}]}",
		       "{\"address\": \"198.18.0.1\", \"port\": 80, "
		       "\"mode\": \"tcp\", \"pool\": \"Web\"}");
	EXPECT_ERR_AT(t, "\"Web\"", 0, "listeners[0].pool: no pool named "
		      "\"Web\" (pools: web, api)", "");
	t = with_listeners("{\"address\": \"198.18.0.1\", \"port\": 80, "
			   "\"mode\": \"http\", \"pool\": \"web\"}");
	EXPECT_ERR(t, "listeners[0].pool: no pool named \"web\" (no pools are "
		   "defined)", "");
	t = with_proxy(WEB_POOL, "{\"address\": \"198.18.0.1\", \"port\": 80, "
		       "\"mode\": \"http\", \"pool\": \"\"}");
	EXPECT_ERR(t, "listeners[0].pool: must not be empty", "");
	/* http needs a pool or a route */
	t = with_proxy(WEB_POOL, "{\"address\": \"198.18.0.1\", \"port\": 80, "
		       "\"mode\": \"http\", \"routes\": []}");
	EXPECT_ERR_AT(t, "{\"address", 1, "listeners[0]: mode http needs a "
		      "\"pool\", \"routes\", or both", "");
	t = with_proxy(WEB_POOL, "{\"address\": \"198.18.0.1\", \"port\": 80, "
		       "\"mode\": \"http\", \"pool\": \"web\", "
		       "\"client_timeout_ms\": 99}");
	EXPECT_ERR(t, "listeners[0].client_timeout_ms: 99 is out of range "
		   "100..3600000", "");
	t = with_proxy(WEB_POOL, "{\"address\": \"198.18.0.1\", \"port\": 80, "
		       "\"mode\": \"http\", \"pool\": \"web\", "
		       "\"max_connections_per_ip\": -1}");
	EXPECT_ERR(t, "listeners[0].max_connections_per_ip: -1 is out of "
		   "range 0..16777216", "");
	t = with_proxy(WEB_POOL, "{\"address\": \"198.18.0.1\", \"port\": 80, "
		       "\"mode\": \"http\", \"pool\": \"web\", "
		       "\"access_log\": 1}");
	EXPECT_ERR(t, "listeners[0].access_log: expected a boolean, got "
		   "integer", "");
}

static void test_tcp_listener_hash(void)
{
	const char *pools = "{\"name\": \"h\", \"balance\": \"hash\", "
			    "\"hash_key\": \"header:X-User\", \"servers\": "
			    "[{\"address\": \"198.18.1.2\", \"port\": 80}]}, "
			    "{\"name\": \"c\", \"balance\": \"hash\", "
			    "\"hash_key\": \"cookie:sid\", \"servers\": "
			    "[{\"address\": \"198.18.1.2\", \"port\": 80}]}, "
			    "{\"name\": \"u\", \"balance\": \"hash\", "
			    "\"hash_key\": \"uri\", \"servers\": "
			    "[{\"address\": \"198.18.1.2\", \"port\": 80}]}, "
			    "{\"name\": \"s\", \"balance\": \"hash\", "
			    "\"servers\": [{\"address\": \"198.18.1.2\", "
			    "\"port\": 80}]}";
	char p[1024];
	const char *t;

	snprintf(p, sizeof(p), "%s", pools);
	/* fine for http listeners and for tcp listeners hashing on source */
	EXPECT_OK(with_proxy(p, "{\"address\": \"198.18.0.1\", \"port\": 80, "
			     "\"mode\": \"http\", \"pool\": \"h\"},"
			     "{\"address\": \"198.18.0.1\", \"port\": 81, "
			     "\"mode\": \"tcp\", \"pool\": \"s\"}"));
	CHECK_EQ(cfg.listeners[1].pool, 3);
	t = with_proxy(p, "{\"address\": \"198.18.0.1\", \"port\": 80, "
		       "\"mode\": \"http\", \"pool\": \"h\"},\n"
		       "{\"address\": \"198.18.0.1\", \"port\": 81, "
		       "\"mode\": \"tcp\", \"pool\": \"h\"}");
	EXPECT_ERR_AT(t, "\"h\"", 2, "listeners[1].pool: pool \"h\" hashes on "
		      "header \"X-User\": a tcp listener has no headers (use "
		      "hash_key \"source\")", "");
	t = with_proxy(p, "{\"address\": \"198.18.0.1\", \"port\": 81, "
		       "\"mode\": \"tcp\", \"pool\": \"c\"}");
	EXPECT_ERR(t, "listeners[0].pool: pool \"c\" hashes on cookie \"sid\": "
		   "a tcp listener has no cookies (use hash_key \"source\")",
		   "");
	t = with_proxy(p, "{\"address\": \"198.18.0.1\", \"port\": 81, "
		       "\"mode\": \"tcp\", \"pool\": \"u\"}");
	EXPECT_ERR(t, "listeners[0].pool: pool \"u\" hashes on the URI: a tcp "
		   "listener has no URI (use hash_key \"source\")", "");
}

static void test_sni_routes(void)
{
	const char *p = "{\"name\": \"a\", \"servers\": [{\"address\": "
			"\"198.18.1.2\", \"port\": 443}]}, {\"name\": \"b\", "
			"\"servers\": [{\"address\": \"198.18.1.3\", "
			"\"port\": 443}]}, {\"name\": \"u\", \"balance\": "
			"\"hash\", \"hash_key\": \"uri\", \"servers\": "
			"[{\"address\": \"198.18.1.2\", \"port\": 80}]}";
	char buf[1024];
	const char *t;

	snprintf(buf, sizeof(buf), "%s", p);
	/* No default pool needed; names stored lower case. */
	EXPECT_OK(with_proxy(buf, "{\"address\": \"198.18.0.1\", \"port\": "
			     "443, \"mode\": \"tcp\", \"sni_routes\": ["
			     "{\"sni\": \"WWW.A.test\", \"pool\": \"a\"}, "
			     "{\"sni\": \"*.b.test\", \"pool\": \"b\"}]}"));
	CHECK_EQ(cfg.listeners[0].n_sni_routes, 2);
	CHECK_EQ(cfg.listeners[0].pool, -1);
	CHECK(strcmp(cfg.listeners[0].sni_routes[0].name, "www.a.test") == 0);
	CHECK_EQ(cfg.listeners[0].sni_routes[1].pool, 1);
	t = with_proxy(buf, "{\"address\": \"198.18.0.1\", \"port\": 80, "
		       "\"mode\": \"http\", \"pool\": \"a\", \"sni_routes\": "
		       "[{\"sni\": \"a.test\", \"pool\": \"a\"}]}");
	EXPECT_ERR(t, "listeners[0].sni_routes: only for mode tcp (this "
		   "listener is mode http)", "");
	t = with_proxy(buf, "{\"address\": \"198.18.0.1\", \"port\": 443, "
		       "\"mode\": \"tcp\", \"sni_routes\": []}");
	EXPECT_ERR(t, "listeners[0].sni_routes: expected a non-empty array",
		   "");
	t = with_proxy(buf, "{\"address\": \"198.18.0.1\", \"port\": 443, "
		       "\"mode\": \"tcp\", \"sni_routes\": [{\"sni\": "
		       "\"a b\", \"pool\": \"a\"}]}");
	EXPECT_ERR(t, "listeners[0].sni_routes[0].sni: \"a b\" is not a host "
		   "name", "");
	t = with_proxy(buf, "{\"address\": \"198.18.0.1\", \"port\": 443, "
		       "\"mode\": \"tcp\", \"sni_routes\": [{\"sni\": "
		       "\"a.test\"}]}");
	EXPECT_ERR(t, "listeners[0].sni_routes[0]: missing required key "
		   "\"pool\"", "");
	t = with_proxy(buf, "{\"address\": \"198.18.0.1\", \"port\": 443, "
		       "\"mode\": \"tcp\", \"sni_routes\": [{\"sni\": "
		       "\"a.test\", \"pool\": \"zz\"}]}");
	EXPECT_ERR(t, "listeners[0].sni_routes[0].pool: no pool named \"zz\"",
		   "");
	t = with_proxy(buf, "{\"address\": \"198.18.0.1\", \"port\": 443, "
		       "\"mode\": \"tcp\", \"sni_routes\": [{\"sni\": "
		       "\"a.test\", \"pool\": \"u\"}]}");
	EXPECT_ERR(t, "listeners[0].sni_routes[0].pool: pool \"u\" hashes on "
		   "the URI", "");
	t = with_proxy(buf, "{\"address\": \"198.18.0.1\", \"port\": 443, "
		       "\"mode\": \"tcp\", \"sni_routes\": [{\"sni\": "
		       "\"a.test\", \"pool\": \"a\", \"x\": 1}]}");
	EXPECT_ERR(t, "listeners[0].sni_routes[0].x: unknown key", "");
}

static void test_route_errors(void)
{
	const char *t;

	t = with_routes("{\"host\": \"a.example\"}");
	EXPECT_ERR_AT(t, "{\"host\"", 0, "listeners[0].routes[0]: missing "
		      "required key \"pool\"", "");
	t = with_routes("{\"pool\": \"nope\"}");
	EXPECT_ERR_AT(t, "\"nope\"", 0, "listeners[0].routes[0].pool: no pool "
		      "named \"nope\" (pools: web, api)", "");
	t = with_routes("{\"pool\": \"web\", \"prefix\": \"/\"}");
	EXPECT_ERR_AT(t, "\"prefix\"", 0, "listeners[0].routes[0].prefix: "
		      "unknown key \"prefix\"", "");
	t = with_routes("\"/api\"");
	EXPECT_ERR(t, "listeners[0].routes[0]: expected a route object, got "
		   "string", "");
	t = with_routes("{\"pool\": \"web\", \"path\": \"api\"}");
	EXPECT_ERR_AT(t, "\"api\"", 1, "listeners[0].routes[0].path: \"api\" "
		      "must start with '/'", "");
	t = with_routes("{\"pool\": \"web\", \"path\": \"/a\\tb\"}");
	EXPECT_ERR(t, "listeners[0].routes[0].path: \"/a\\u0009b\" may only "
		   "contain visible ASCII characters (no spaces)", "");
	/* host patterns */
	static const char *const bad_hosts[] = {
		"*", "*.", "*example.com", "a.*.b", "a..b", ".a", "a.",
		"a b", "a:80", "a_b.c", "[::1]", "*.*.a",
		/* a 64-byte label (the limit is 63) */
		("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 ".b"),
	};
	for (size_t i = 0; i < sizeof(bad_hosts) / sizeof(bad_hosts[0]); i++) {
		char r[256];

		snprintf(r, sizeof(r), "{\"pool\": \"web\", \"host\": \"%s\"}",
			 bad_hosts[i]);
		t = with_routes(r);
		EXPECT_ERR(t, "listeners[0].routes[0].host: ", "is not a host "
			   "name or \"*.domain\" pattern (labels of 1..63 "
			   "letters, digits and '-', joined by '.'; no port)");
	}
	EXPECT_OK(with_routes("{\"pool\": \"web\", \"host\": \"*.a-1.B2\"}, "
			      "{\"pool\": \"web\", \"host\": \"10.0.0.1\"}, "
			      "{\"pool\": \"web\", \"host\": \"x\"}"));
	CHECK(strcmp(cfg.routes[0].host, "*.a-1.b2") == 0);
	CHECK(strcmp(cfg.routes[1].host, "10.0.0.1") == 0);
	CHECK_EQ(cfg.listeners[0].pool, -1);
	/* routes that can never match */
	t = with_routes("{\"pool\": \"web\", \"host\": \"a.b\", \"path\": "
			"\"/x\"},\n{\"pool\": \"api\", \"host\": \"A.B\", "
			"\"path\": \"/x\"}");
	EXPECT_ERR_AT(t, "{\"pool\": \"api\"", 0, "listeners[0].routes[1]: "
		      "this route is never used: routes[0] (host \"a.b\", "
		      "path \"/x\") matches every request it would", "");
	t = with_routes("{\"pool\": \"web\", \"path\": \"/x\"},\n{\"pool\": "
			"\"api\", \"host\": \"a.b\", \"path\": \"/x\"}");
	EXPECT_ERR(t, "listeners[0].routes[1]: this route is never used: "
		   "routes[0] (host \"\", path \"/x\")", "");
	/* a longer path or another host after a shorter one is fine */
	EXPECT_OK(with_routes("{\"pool\": \"web\", \"path\": \"/x\"},"
			      "{\"pool\": \"api\", \"path\": \"/x/y\"},"
			      "{\"pool\": \"api\", \"host\": \"a.b\"},"
			      "{\"pool\": \"api\"}"));
	CHECK_EQ(cfg.n_routes, 4);
	t = fmt("{\"ports\":[" PORT0 "," PORT1 "],\n\"pools\": [" WEB_POOL
		"],\n\"listeners\": [{\"address\": \"198.18.0.1\", \"port\": "
		"80, \"mode\": \"http\", \"routes\": {}}]}");
	EXPECT_ERR(t, "listeners[0].routes: expected an array of route "
		   "objects, got object", "");
}

static void test_header_edits(void)
{
	const char *t;

	EXPECT_OK(with_routes("{\"pool\": \"web\", \"request_headers\": "
			      "{\"set\": {\"A\": \"1\", \"B\": \"2\", \"C\": "
			      "\"3\", \"D\": \"4\"}, \"remove\": [\"E\", \"F\", "
			      "\"G\", \"H\"]}, \"response_headers\": {}}"));
	CHECK_EQ(cfg.routes[0].request.n_set, 4);
	CHECK(strcmp(cfg.routes[0].request.set[3].value, "4") == 0);
	CHECK_EQ(cfg.routes[0].request.n_remove, 4);
	CHECK(strcmp(cfg.routes[0].request.remove[3], "H") == 0);
	CHECK_EQ(cfg.routes[0].response.n_set, 0);
	t = with_routes("{\"pool\": \"web\", \"request_headers\": {\"set\": "
			"{\"A\": \"1\", \"B\": \"2\", \"C\": \"3\", \"D\": "
			"\"4\", \"E\": \"5\"}}}");
	EXPECT_ERR(t, "listeners[0].routes[0].request_headers.set: at most 4 "
		   "headers to set, got 5", "");
	t = with_routes("{\"pool\": \"web\", \"response_headers\": {\"remove\":"
			" [\"A\", \"B\", \"C\", \"D\", \"E\"]}}");
	EXPECT_ERR(t, "listeners[0].routes[0].response_headers.remove: at "
		   "most 4 headers to remove, got 5", "");
	/* hop-by-hop and framing headers, in any case */
	static const char *const managed[] = {
		"Connection", "keep-alive", "Proxy-Connection",
		"TRANSFER-ENCODING", "TE", "Trailer", "Upgrade",
		"Content-Length", "host", "Proxy-Authenticate",
		"Proxy-Authorization",
	};
	for (size_t i = 0; i < sizeof(managed) / sizeof(managed[0]); i++) {
		char r[256], want[192], at[32];

		snprintf(r, sizeof(r), "{\"pool\": \"web\", "
			 "\"request_headers\": {\"set\": {\"%s\": \"x\"}}}",
			 managed[i]);
		snprintf(want, sizeof(want), "listeners[0].routes[0]."
			 "request_headers.set.%s: \"%s\" is managed by dpx "
			 "(hop-by-hop or message framing) and cannot be set "
			 "or removed", managed[i], managed[i]);
		snprintf(at, sizeof(at), "\"%s\"", managed[i]);
		t = with_routes(r);
		EXPECT_ERR_AT(t, at, 0, want, "");
		snprintf(r, sizeof(r), "{\"pool\": \"web\", "
			 "\"response_headers\": {\"remove\": [\"%s\"]}}",
			 managed[i]);
		snprintf(want, sizeof(want), "listeners[0].routes[0]."
			 "response_headers.remove[0]: \"%s\" is managed by dpx",
			 managed[i]);
		t = with_routes(r);
		EXPECT_ERR(t, want, "");
	}
	t = with_routes("{\"pool\": \"web\", \"request_headers\": {\"set\": "
			"{\"X(A)\": \"1\"}}}");
	EXPECT_ERR_AT(t, "\"X(A)\"", 0, "listeners[0].routes[0]."
		      "request_headers.set.X(A): \"X(A)\" is not a valid header "
		      "name (letters, digits and !#$%&'*+-.^_`|~ only)", "");
	t = with_routes("{\"pool\": \"web\", \"request_headers\": {\"set\": "
			"{\"\": \"1\"}}}");
	EXPECT_ERR(t, "request_headers.set.: the header name must not be "
		   "empty", "");
	t = with_routes("{\"pool\": \"web\", \"request_headers\": {\"remove\": "
			"[\"X-A\", 1]}}");
	EXPECT_ERR(t, "request_headers.remove[1]: expected a header name, got "
		   "integer", "");
	t = with_routes("{\"pool\": \"web\", \"request_headers\": {\"set\": "
			"{\"X-A\": \"a\\r\\nb\"}}}");
	EXPECT_ERR_AT(t, "\"a\\r", 0, "request_headers.set.X-A: "
		      "\"a\\u000d\\u000ab\" contains a control character", "");
	t = with_routes("{\"pool\": \"web\", \"request_headers\": {\"set\": "
			"{\"X-A\": \"a\\u007f\"}}}");
	EXPECT_ERR(t, "request_headers.set.X-A: \"a\\u007f\" contains a "
		   "control character", "");
	t = with_routes("{\"pool\": \"web\", \"request_headers\": {\"set\": "
			"{\"X-A\": \"a \"}}}");
	EXPECT_ERR(t, "request_headers.set.X-A: \"a \" starts or ends with a "
		   "blank", "");
	t = with_routes("{\"pool\": \"web\", \"request_headers\": {\"set\": "
			"{\"X-A\": null}}}");
	EXPECT_ERR(t, "request_headers.set.X-A: expected a string, got null",
		   "");
	t = with_routes("{\"pool\": \"web\", \"request_headers\": {\"set\": "
			"{\"X-A\": \"1\", \"x-A\": \"2\"}}}");
	EXPECT_ERR_AT(t, "\"x-A\"", 0, "request_headers.set.x-A: \"x-A\" is "
		      "set twice (header names ignore case)", "");
	t = with_routes("{\"pool\": \"web\", \"request_headers\": {\"remove\": "
			"[\"X-A\", \"X-B\", \"x-b\"]}}");
	EXPECT_ERR_AT(t, "\"x-b\"", 0, "request_headers.remove[2]: \"x-b\" is "
		      "listed twice (also remove[1]; header names ignore "
		      "case)", "");
	t = with_routes("{\"pool\": \"web\", \"response_headers\": {\"set\": "
			"{\"X-A\": \"1\"}, \"remove\": [\"X-a\"]}}");
	EXPECT_ERR(t, "listeners[0].routes[0].response_headers.remove[0]: "
		   "\"X-a\" is both set and removed", "");
	t = with_routes("{\"pool\": \"web\", \"response_headers\": {\"add\": "
			"{}}}");
	EXPECT_ERR(t, "response_headers.add: unknown key \"add\"", "");
	t = with_routes("{\"pool\": \"web\", \"response_headers\": []}");
	EXPECT_ERR(t, "response_headers: expected an object, got array", "");
	t = with_routes("{\"pool\": \"web\", \"response_headers\": {\"set\": "
			"[\"X-A\"]}}");
	EXPECT_ERR(t, "response_headers.set: expected an object of header "
		   "names and values, got array", "");
}

static void test_http_settings(void)
{
	const char *t;

	t = with_http("{\"max_headers\": 101}");
	EXPECT_ERR_AT(t, "101", 0, "listeners[0].http.max_headers: 101 is out "
		      "of range 1..100", "");
	t = with_http("{\"max_line\": 255}");
	EXPECT_ERR(t, "listeners[0].http.max_line: 255 is out of range "
		   "256..65536", "");
	t = with_http("{\"max_head\": 1048577}");
	EXPECT_ERR(t, "listeners[0].http.max_head: 1048577 is out of range "
		   "1024..1048576", "");
	t = with_http("{\"max_head\": 4096}");
	EXPECT_ERR_AT(t, "4096", 0, "listeners[0].http.max_head: 4096 is less "
		      "than max_line (8192)", "");
	EXPECT_OK(with_http("{\"max_head\": 8192, \"max_line\": 8192}"));
	t = with_http("{\"max_body\": 1.5}");
	EXPECT_ERR(t, "listeners[0].http.max_body: expected an integer, got "
		   "real number", "");
	t = with_http("{\"forwarded\": \"X-Forwarded-For\"}");
	EXPECT_ERR(t, "listeners[0].http.forwarded: \"X-Forwarded-For\" is not "
		   "one of x-forwarded-for, forwarded, both, none", "");
	t = with_http("{\"via\": \"yes\"}");
	EXPECT_ERR(t, "listeners[0].http.via: expected a boolean, got string",
		   "");
	t = with_http("{\"server_header\": \"\"}");
	EXPECT_ERR(t, "listeners[0].http.server_header: must not be empty", "");
	t = with_http("{\"server_header\": \"a\\r\\nSet-Cookie: x\"}");
	EXPECT_ERR(t, "listeners[0].http.server_header: ", "contains a control "
		   "character");
	t = with_http("{\"server_header\": false}");
	EXPECT_ERR(t, "listeners[0].http.server_header: expected a string, got "
		   "boolean", "");
	t = with_http("{\"server_header\": \"hidden\", \"x\": 1}");
	EXPECT_ERR_AT(t, "\"x\"", 0, "listeners[0].http.x: unknown key", "");
	t = with_http("[]");
	EXPECT_ERR(t, "listeners[0].http: expected an object, got array", "");
	EXPECT_OK(with_http("{\"server_header\": \"hide\", \"forwarded\": "
			    "\"x-forwarded-for\", \"via\": true}"));
	CHECK_EQ(cfg.listeners[0].http.server_header, DPX_SRVHDR_HIDE);
	EXPECT_OK(with_http("{\"server_header\": \"Hide\"}"));
	CHECK_EQ(cfg.listeners[0].http.server_header, DPX_SRVHDR_REPLACE);
	CHECK(strcmp(cfg.listeners[0].http.server_header_value, "Hide") == 0);
	EXPECT_OK(with_http("{\"forwarded\": \"forwarded\"}"));
	CHECK_EQ(cfg.listeners[0].http.forwarded, DPX_FWD_RFC7239);
}

#define WITH_LOG(v) "{\"ports\":[" PORT0 "], \"access_log\": " v "}"

static void test_access_log(void)
{
	EXPECT_OK(WITH_LOG("{\"path\": \"/tmp/a.log\"}"));
	CHECK(strcmp(cfg.access_log.path, "/tmp/a.log") == 0);
	EXPECT_OK(WITH_LOG("{\"path\": \"\"}"));
	CHECK(strcmp(cfg.access_log.path, "") == 0);
	EXPECT_OK(WITH_LOG("{}"));
	CHECK(strcmp(cfg.access_log.path, "") == 0);
	EXPECT_ERR_AT(WITH_LOG("\"/tmp/a.log\""), "\"/tmp", 0, "access_log: "
		      "expected an object, got string", "");
	EXPECT_ERR_AT(WITH_LOG("{\"file\": \"a\"}"), "\"file\"", 0,
		      "access_log.file: unknown key \"file\"", "");
	EXPECT_ERR(WITH_LOG("{\"path\": \"a\\nb\"}"), "access_log.path: "
		   "\"a\\u000ab\" contains a control character", "");
	EXPECT_ERR(WITH_LOG("{\"path\": false}"), "access_log.path: expected "
		   "a string, got boolean", "");
}

/* Positions: multi-line input, escaped keys, non-ASCII characters. */
static void test_positions(void)
{
	const char *t;

	t = "{\n"
	    "  \"ports\": [\n"
	    "    {\n"
	    "      \"device\": \"net_tap0\",\n"
	    "      \"addresses\": [\"198.18.0.300/24\"]\n"
	    "    }\n"
	    "  ]\n"
	    "}\n";
	EXPECT_ERR(t, "t.json:5:21: ports[0].addresses[0]: ", "");
	t = "{\"p\\u006frts\": [{\"devic\\u0065\": \"\\u00e9\u00e9\","
	    " \"addresses\": [\"1.1.1.1/8\"], \"mtu\": 5}]}";
	EXPECT_ERR_AT(t, "5}", 0, "ports[0].mtu: 5 is out of range", "");
	t = "{\"ports\": [{\"device\": \"\u00e9\u00e8\", \"name\": \"a b\","
	    " \"addresses\": [\"1.1.1.1/8\"]}]}";
	EXPECT_ERR_AT(t, "\"a b\"", 0, "ports[0].name: \"a b\" may "
		      "only contain", "");
	/* a 2-byte character counts as one column, like in Jansson */
	CHECK_STR_CONTAINS(err, "t.json:1:37:");
}

static void test_load_file(void)
{
	char path[] = "/tmp/dpx_test_config_XXXXXX";
	const char *body = "{\"ports\":[" PORT0 "],\n \"mtu\": 1}";
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK_EQ(write(fd, body, strlen(body)), (long long)strlen(body));
	close(fd);
	CHECK_EQ(dpx_config_load(path, &cfg, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(err, path);
	CHECK_STR_CONTAINS(err, ":2:2: mtu: unknown key \"mtu\"");
	body = "{\"ports\":[" PORT0 "]}\n";
	fd = open(path, O_WRONLY | O_TRUNC);
	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK_EQ(write(fd, body, strlen(body)), (long long)strlen(body));
		close(fd);
	}
	CHECK_EQ(dpx_config_load(path, &cfg, err, sizeof(err)), 0);
	CHECK(strcmp(cfg.path, path) == 0);
	CHECK_EQ(cfg.n_ports, 1);
	unlink(path);
	CHECK_EQ(dpx_config_load(path, &cfg, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(err, ": cannot read: No such file or directory");
	CHECK(strncmp(err, path, strlen(path)) == 0);
	CHECK_EQ(dpx_config_load("/", &cfg, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(err, "/: cannot read: Is a directory");
}

static void test_err_buffer(void)
{
	char small[12];
	const char *t = "{\"ports\": 3}";

	CHECK_EQ(dpx_config_load_buffer("t.json", t, strlen(t), &cfg, NULL, 0),
		 -1);
	CHECK_EQ(dpx_config_load_buffer("t.json", "{", 1, &cfg, small, 0), -1);
	CHECK_EQ(dpx_config_load_buffer("t.json", t, strlen(t), &cfg, small,
					sizeof(small)), -1);
	CHECK(strcmp(small, "t.json:1:11") == 0);
	CHECK_EQ(dpx_config_load_buffer(NULL, NULL, 0, &cfg, err,
					sizeof(err)), -1);
	CHECK_STR_CONTAINS(err, "invalid JSON");
	/* a very long unknown key is cut in the message */
	{
		char key[2000];

		memset(key, 'k', sizeof(key) - 1);
		key[sizeof(key) - 1] = '\0';
		EXPECT_ERR(fmt("{\"ports\":[" PORT0 "], \"%s\": 1}", key),
			   "t.json:1:", "kkk...: unknown key \"kkk");
		CHECK(strlen(err) < sizeof(err));
	}
}

/* "mode": "forward": hosts map, CONNECT ports, anonymity, the pool it
 * gets, and defaults. */
static void test_forward(void)
{
	const struct dpx_forward_conf *f;
	const struct dpx_pool_conf *p;

	EXPECT_OK(with_listeners("{\"name\": \"px\", \"address\": "
		"\"198.18.0.1\", \"port\": 3128, \"mode\": \"forward\"}"));
	f = cfg.listeners[0].forward;
	CHECK(f != NULL);
	if (f == NULL)
		return;
	CHECK_EQ(cfg.listeners[0].mode, DPX_LISTEN_FORWARD);
	CHECK_EQ(cfg.listeners[0].pool, -1);
	CHECK_EQ(f->anonymity, DPX_ANON_ANONYMOUS);
	CHECK_EQ(f->n_connect_ports, 1);
	CHECK_EQ(f->connect_ports[0], 443);
	CHECK_EQ(f->n_hosts, 0);
	CHECK_EQ(f->tunnel_idle_timeout_ms, 300000);
	CHECK_EQ(f->user_agent[0], '\0');
	CHECK_EQ(cfg.listeners[0].http.server_header, DPX_SRVHDR_PASS);
	CHECK_EQ(cfg.n_pools, 1);
	CHECK_EQ(f->pool, 0);
	p = &cfg.pools[0];
	CHECK(strcmp(p->name, "forward-px") == 0);
	CHECK_EQ(p->n_servers, 1);
	CHECK_EQ(p->max_fails, 0);
	CHECK_EQ(p->health.type, DPX_HEALTH_NONE);
	dpx_config_release(&cfg);
	CHECK(cfg.listeners[0].forward == NULL);

	EXPECT_OK(with_listeners("{\"address\": \"198.18.0.1\", \"port\": "
		"3128, \"mode\": \"forward\", \"anonymity\": \"elite\", "
		"\"hosts\": {\"Alpha.Test\": \"198.18.1.2\", \"b\": \"10.0.0.1\"}, "
		"\"connect_ports\": [443, 8443], \"user_agent\": \"dpx/1\", "
		"\"strip_headers\": [\"X-Secret\"], "
		"\"tunnel_idle_timeout_ms\": 1000}"));
	f = cfg.listeners[0].forward;
	CHECK_EQ(f->anonymity, DPX_ANON_ELITE);
	CHECK_EQ(f->n_hosts, 2);
	CHECK(strcmp(f->hosts[0].name, "alpha.test") == 0);
	CHECK_EQ(f->hosts[0].addr, 0xC6120102u);
	CHECK_EQ(f->hosts[1].addr, 0x0A000001u);
	CHECK_EQ(f->n_connect_ports, 2);
	CHECK_EQ(f->connect_ports[1], 8443);
	CHECK(strcmp(f->user_agent, "dpx/1") == 0);
	CHECK_EQ(f->n_strip_headers, 1);
	CHECK_EQ(f->tunnel_idle_timeout_ms, 1000);
	dpx_config_release(&cfg);

	EXPECT_ERR(with_listeners("{\"address\": \"198.18.0.1\", \"port\": "
		"3128, \"mode\": \"forward\", \"hosts\": {\"a\": \"x\", "
		"\"A\": \"10.0.0.1\"}}"), "listeners[0].hosts.a",
		"is not an IPv4 address");
	EXPECT_ERR(with_listeners("{\"address\": \"198.18.0.1\", \"port\": "
		"3128, \"mode\": \"forward\", \"hosts\": {\"a\": \"10.0.0.2\", "
		"\"A\": \"10.0.0.1\"}}"), "listeners[0].hosts.A",
		"listed twice");
	/* "cache" is a forward listener's too, through the store's section */
	EXPECT_ERR(with_listeners("{\"address\": \"198.18.0.1\", \"port\": "
		"3128, \"mode\": \"forward\", \"cache\": true}"),
		"listeners[0].cache", "needs the top-level \"cache\" section");
	EXPECT_ERR(with_listeners("{\"address\": \"198.18.0.1\", \"port\": "
		"3128, \"mode\": \"forward\", \"compression\": {}}"),
		"listeners[0].compression", "only for mode http or tcp");
	EXPECT_ERR(with_listeners("{\"address\": \"198.18.0.1\", \"port\": "
		"80, \"mode\": \"static\", \"hosts\": {}}"),
		"listeners[0].hosts", "only for mode forward");
	EXPECT_ERR(with_listeners("{\"address\": \"198.18.0.1\", \"port\": "
		"3128, \"mode\": \"forward\", \"user_agent\": \" x\"}"),
		"listeners[0].user_agent", "starts or ends with a blank");
}

/* A forward listener with "egress" EGRESS, next to a server-side port
 * with three addresses. */
static const char *with_egress(const char *egress)
{
	return fmt("{\"ports\":[" PORT0 ",{\"device\":\"net_tap1\","
		   "\"addresses\":[\"198.18.1.1/24\",\"198.18.1.10/24\","
		   "\"198.18.1.11/24\"]}],\n\"listeners\": [{\"address\": "
		   "\"198.18.0.1\", \"port\": 3128, \"mode\": \"forward\", "
		   "\"egress\": %s}]}", egress);
}

/* "egress": addresses of one port, in order, and the policy. */
static void test_forward_egress(void)
{
	const struct dpx_egress_conf *eg;

	EXPECT_OK(with_listeners("{\"address\": \"198.18.0.1\", \"port\": "
		"3128, \"mode\": \"forward\"}"));
	CHECK_EQ(cfg.listeners[0].forward->egress.n_addrs, 0);
	dpx_config_release(&cfg);

	EXPECT_OK(with_egress("{\"addresses\": [\"198.18.1.11\", "
		"\"198.18.1.10\"], \"policy\": \"sticky_destination\"}"));
	eg = &cfg.listeners[0].forward->egress;
	CHECK_EQ(eg->n_addrs, 2);
	CHECK_EQ(eg->addrs[0], 0xC612010Bu);
	CHECK_EQ(eg->addrs[1], 0xC612010Au);
	CHECK_EQ(eg->port, 1);
	CHECK_EQ(eg->policy, DPX_EGRESS_STICKY_DEST);
	dpx_config_release(&cfg);

	EXPECT_OK(with_egress("{\"addresses\": [\"198.18.1.1\"]}"));
	CHECK_EQ(cfg.listeners[0].forward->egress.policy,
		 DPX_EGRESS_ROUND_ROBIN);
	dpx_config_release(&cfg);

	EXPECT_ERR(with_egress("{\"addresses\": [\"198.18.1.12\"]}"),
		   "listeners[0].egress.addresses[0]",
		   "198.18.1.12 is not an address of any port");
	EXPECT_ERR(with_egress("{\"addresses\": [\"198.18.1.10\", "
		   "\"198.18.0.1\"]}"), "listeners[0].egress.addresses[1]",
		   "must all be on the port that routes to the origins");
	EXPECT_ERR(with_egress("{\"addresses\": [\"198.18.1.10\"], "
		   "\"policy\": \"hash\"}"), "listeners[0].egress.policy",
		   "is not one of round_robin, random");
	EXPECT_ERR(with_egress("[\"198.18.1.10\"]"), "listeners[0].egress",
		   "expected an object");
	EXPECT_ERR(with_listeners("{\"address\": \"198.18.0.1\", \"port\": "
		   "80, \"mode\": \"http\", \"pool\": \"p\", \"egress\": {}}"),
		   "listeners[0].egress", "only for mode forward");
}

int main(void)
{
	RUN_TEST(test_parse_ipv4);
	RUN_TEST(test_parse_prefix);
	RUN_TEST(test_parse_net);
	RUN_TEST(test_ipv4_str);
	RUN_TEST(test_log_level);
	RUN_TEST(test_log_output);
	RUN_TEST(test_locate);
	RUN_TEST(test_locate_malformed);
	RUN_TEST(test_defaults);
	RUN_TEST(test_full);
	RUN_TEST(test_json_syntax);
	RUN_TEST(test_top_level);
	RUN_TEST(test_workers);
	RUN_TEST(test_idle_and_log_level);
	RUN_TEST(test_arp);
	RUN_TEST(test_mbufs_and_empty_lists);
	RUN_TEST(test_port_object);
	RUN_TEST(test_port_strings);
	RUN_TEST(test_addresses);
	RUN_TEST(test_gateway);
	RUN_TEST(test_port_numbers);
	RUN_TEST(test_fault);
	RUN_TEST(test_cross_port);
	RUN_TEST(test_listeners_ok);
	RUN_TEST(test_listeners_max);
	RUN_TEST(test_listener_fields);
	RUN_TEST(test_listener_udp_echo);
	RUN_TEST(test_listener_required);
	RUN_TEST(test_listener_address);
	RUN_TEST(test_listener_conflicts);
	RUN_TEST(test_listener_names);
	RUN_TEST(test_tcp_ok);
	RUN_TEST(test_tcp_errors);
	RUN_TEST(test_tcp_ranges);
	RUN_TEST(test_tcp_keepalive);
	RUN_TEST(test_tcp_mss_clamp);
	RUN_TEST(test_proxy_defaults);
	RUN_TEST(test_proxy_full_pools);
	RUN_TEST(test_proxy_full_listeners);
	RUN_TEST(test_proxy_full_routes);
	RUN_TEST(test_proxy_limits);
	RUN_TEST(test_route_limit);
	RUN_TEST(test_pool_errors);
	RUN_TEST(test_server_errors);
	RUN_TEST(test_server_names);
	RUN_TEST(test_health_errors);
	RUN_TEST(test_proxy_listener);
	RUN_TEST(test_tcp_listener_hash);
	RUN_TEST(test_sni_routes);
	RUN_TEST(test_route_errors);
	RUN_TEST(test_header_edits);
	RUN_TEST(test_http_settings);
	RUN_TEST(test_access_log);
	RUN_TEST(test_positions);
	RUN_TEST(test_load_file);
	RUN_TEST(test_err_buffer);
	RUN_TEST(test_forward);
	RUN_TEST(test_forward_egress);
	return TEST_SUMMARY();
}

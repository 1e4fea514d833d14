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

static void test_mbufs_and_reserved(void)
{
	EXPECT_OK("{\"ports\":[" PORT0 "], \"mbufs_per_worker\": 1024}");
	CHECK_EQ(cfg.mbufs_per_worker, 1024);
	EXPECT_ERR("{\"ports\":[" PORT0 "], \"mbufs_per_worker\": 0}",
		   "mbufs_per_worker: 0 is out of range 1024..1048576", "");
	EXPECT_ERR("{\"ports\":[" PORT0 "], \"mbufs_per_worker\": 1048577}",
		   "mbufs_per_worker: 1048577 is out of range", "");
	EXPECT_ERR_AT("{\"ports\":[" PORT0 "], \"listeners\": [{}]}", "[{}]", 0,
		      "listeners: listeners are not supported yet", "");
	EXPECT_ERR("{\"ports\":[" PORT0 "], \"pools\": [1]}",
		   "pools: pools are not supported yet", "");
	EXPECT_ERR("{\"ports\":[" PORT0 "], \"pools\": {}}",
		   "pools: expected an array, got object", "");
	EXPECT_ERR("{\"ports\":[" PORT0 "], \"listeners\": null}",
		   "listeners: expected an array, got null", "");
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

int main(void)
{
	RUN_TEST(test_parse_ipv4);
	RUN_TEST(test_parse_prefix);
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
	RUN_TEST(test_mbufs_and_reserved);
	RUN_TEST(test_port_object);
	RUN_TEST(test_port_strings);
	RUN_TEST(test_addresses);
	RUN_TEST(test_gateway);
	RUN_TEST(test_port_numbers);
	RUN_TEST(test_fault);
	RUN_TEST(test_cross_port);
	RUN_TEST(test_positions);
	RUN_TEST(test_load_file);
	RUN_TEST(test_err_buffer);
	return TEST_SUMMARY();
}

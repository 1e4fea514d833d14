/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "compression" section: schema, defaults and checks, with lib/core's
 * toolkit so that errors name the key path like every other section's.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "dpx_compress.h"

static const char *const section_keys[] = {
	"enabled", "codings", "types", "min_size", "level", "cache_level",
	NULL
};

/* Names in configuration order, index = enum dpx_coding. */
static const char *const coding_choices[] = {
	"identity", "gzip", "br", "zstd", NULL
};

static const char *const level_keys[] = { "gzip", "br", "zstd", NULL };

static const char *const default_types[] = {
	"text/html", "text/plain", "text/css", "text/javascript",
	"application/javascript", "application/json", "application/xml",
	"image/svg+xml", NULL
};

void dpx_compress_conf_default(struct dpx_compress_conf *conf)
{
	unsigned int i;

	memset(conf, 0, sizeof(*conf));
	conf->enabled = true;
	conf->codings[0] = DPX_CODING_BR;
	conf->codings[1] = DPX_CODING_ZSTD;
	conf->codings[2] = DPX_CODING_GZIP;
	conf->n_codings = 3;
	for (i = 0; default_types[i] != NULL; i++)
		strcpy(conf->types[i], default_types[i]);
	conf->n_types = i;
	conf->min_size = DPX_COMPRESS_MIN_SIZE;
	conf->level[DPX_CODING_GZIP] = DPX_COMPRESS_GZIP_LEVEL;
	conf->level[DPX_CODING_BR] = DPX_COMPRESS_BR_LEVEL;
	conf->level[DPX_CODING_ZSTD] = DPX_COMPRESS_ZSTD_LEVEL;
	conf->cache_level[DPX_CODING_GZIP] = DPX_COMPRESS_GZIP_CACHE_LEVEL;
	conf->cache_level[DPX_CODING_BR] = DPX_COMPRESS_BR_CACHE_LEVEL;
	conf->cache_level[DPX_CODING_ZSTD] = DPX_COMPRESS_ZSTD_CACHE_LEVEL;
}

static int parse_coding(struct cfg_ctx *c, json_t *e,
			struct dpx_compress_conf *cc)
{
	int k;
	unsigned int i;

	if (cfg_want_choice(c, e, coding_choices, &k) != 0)
		return -1;
	if (k == DPX_CODING_NONE)
		return cfg_fail(c, false, "\"identity\" is always allowed; "
				"list only \"br\", \"zstd\" and \"gzip\"");
	for (i = 0; i < cc->n_codings; i++)
		if (cc->codings[i] == k)
			return cfg_fail(c, false, "\"%s\" is listed twice",
					coding_choices[k]);
	cc->codings[cc->n_codings++] = (uint8_t)k;
	return 0;
}

static int parse_codings(struct cfg_ctx *c, json_t *obj,
			 struct dpx_compress_conf *cc)
{
	json_t *v = json_object_get(obj, "codings"), *e;
	size_t i;

	if (v == NULL)
		return 0;
	cfg_push_key(c, "codings");
	if (!json_is_array(v) || json_array_size(v) == 0)
		return cfg_type_error(c, v, "a non-empty array of \"br\", "
				      "\"zstd\", \"gzip\"");
	cc->n_codings = 0;
	json_array_foreach(v, i, e) {
		cfg_push_index(c, i);
		if (parse_coding(c, e, cc) != 0)
			return -1;
		cfg_pop(c);
	}
	cfg_pop(c);
	return 0;
}

/* A token without '*' (RFC 9110 5.6.2 tchar otherwise). */
static bool plain_token(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) &&
		    strchr("!#$%&'+-.^_`|~", s[i]) == NULL)
			return false;
	return true;
}

/* "type/subtype", or "type/" and a "*" wildcard; "*" alone is refused: compressing every
 * type would include images and archives that only grow. */
static bool media_range_ok(const char *s)
{
	const char *slash = strchr(s, '/');

	if (slash == NULL || !plain_token(s, (size_t)(slash - s)))
		return false;
	return strcmp(slash + 1, "*") == 0 ||
	       plain_token(slash + 1, strlen(slash + 1));
}

/* Stored in lower case: Content-Type compares case-insensitively. */
static int parse_type(struct cfg_ctx *c, json_t *e,
		      struct dpx_compress_conf *cc)
{
	char *t = cc->types[cc->n_types];
	const char *s;
	unsigned int i;

	if (cfg_want_string(c, e, DPX_COMPRESS_TYPE_LEN - 1, false, &s) != 0)
		return -1;
	if (!media_range_ok(s))
		return cfg_fail(c, false, "\"%s\" is not a media type "
				"(\"text/html\", \"text/*\")", s);
	for (i = 0; s[i] != '\0'; i++)
		t[i] = (char)tolower((unsigned char)s[i]);
	t[i] = '\0';
	for (i = 0; i < cc->n_types; i++)
		if (strcmp(cc->types[i], t) == 0)
			return cfg_fail(c, false, "\"%s\" is listed twice", s);
	cc->n_types++;
	return 0;
}

static int parse_types(struct cfg_ctx *c, json_t *obj,
		       struct dpx_compress_conf *cc)
{
	json_t *v = json_object_get(obj, "types"), *e;
	size_t i;

	if (v == NULL)
		return 0;
	cfg_push_key(c, "types");
	if (!json_is_array(v) || json_array_size(v) == 0)
		return cfg_type_error(c, v, "a non-empty array of media types");
	if (json_array_size(v) > DPX_COMPRESS_MAX_TYPES)
		return cfg_fail(c, false, "at most %d types, got %zu",
				DPX_COMPRESS_MAX_TYPES, json_array_size(v));
	cc->n_types = 0;
	json_array_foreach(v, i, e) {
		cfg_push_index(c, i);
		if (parse_type(c, e, cc) != 0)
			return -1;
		cfg_pop(c);
	}
	cfg_pop(c);
	return 0;
}

/* "level": {"gzip": 1..9, "br": 0..6, "zstd": 1..19}; "cache_level" the
 * same with "br" up to 11. */
static int parse_levels(struct cfg_ctx *c, json_t *obj, const char *key,
			int *levels, int br_max)
{
	static const int lo[] = { 0, DPX_COMPRESS_GZIP_MIN,
				  DPX_COMPRESS_BR_MIN, DPX_COMPRESS_ZSTD_MIN };
	const int hi[] = { 0, DPX_COMPRESS_GZIP_MAX, br_max,
			   DPX_COMPRESS_ZSTD_MAX };
	json_t *v = json_object_get(obj, key);
	unsigned int k;

	if (v == NULL)
		return 0;
	cfg_push_key(c, key);
	if (cfg_check_object(c, v, "an object of levels by coding",
			     level_keys) != 0)
		return -1;
	for (k = DPX_CODING_GZIP; k < DPX_CODING_COUNT; k++) {
		long long x = levels[k];

		if (cfg_opt_int(c, v, coding_choices[k], lo[k], hi[k], false,
				&x) != 0)
			return -1;
		levels[k] = (int)x;
	}
	cfg_pop(c);
	return 0;
}

int dpx_compress_conf_parse(struct cfg_ctx *c, json_t *v, void **out)
{
	struct dpx_compress_conf *cc = malloc(sizeof(*cc));

	*out = NULL;
	if (cc == NULL)
		return cfg_fail(c, false, "out of memory");
	dpx_compress_conf_default(cc);
	if (cfg_check_object(c, v, "an object", section_keys) != 0 ||
	    cfg_opt_bool(c, v, "enabled", &cc->enabled) != 0 ||
	    parse_codings(c, v, cc) != 0 ||
	    parse_types(c, v, cc) != 0 ||
	    cfg_opt_u32(c, v, "min_size", 0, DPX_COMPRESS_MIN_SIZE_MAX, false,
			&cc->min_size) != 0 ||
	    parse_levels(c, v, "level", cc->level,
			 DPX_COMPRESS_BR_STREAM_MAX) != 0 ||
	    parse_levels(c, v, "cache_level", cc->cache_level,
			 DPX_COMPRESS_BR_MAX) != 0) {
		free(cc);
		return -1;
	}
	*out = cc;
	return 0;
}

void dpx_compress_conf_free(void *conf)
{
	free(conf);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to lib/core: find where a value sits in the original JSON text.
 * Jansson values carry no positions, so semantic errors are located by
 * re-scanning the text along a key path. The scanner is iterative, never
 * reads outside [text, text + len) and accepts any input (on malformed
 * text it simply stops early).
 */
#ifndef DPX_JSON_LOCATE_H
#define DPX_JSON_LOCATE_H

#include <stdbool.h>
#include <stddef.h>

/* Longest path dpx_json_locate() follows; longer paths are cut here. */
#define DPX_JSON_MAX_PATH 16

/* One step of a key path: an object member (key != NULL) or an array
 * element (key == NULL, index). Keys are UTF-8 as Jansson decodes them. */
struct dpx_json_step {
	const char *key;
	size_t index;
};

/*
 * Follow path[0..n) from the root value of text. Sets *line and *col
 * (1-based; columns count UTF-8 characters like Jansson does) to the start
 * of the deepest value reached; with at_key and a last step that is a key
 * found in its object, to the opening quote of that key instead.
 * Returns how many steps were resolved (n when the whole path was found).
 * *line and *col are always set (1:1 when nothing could be found).
 */
size_t dpx_json_locate(const char *text, size_t len,
		       const struct dpx_json_step *path, size_t n,
		       bool at_key, unsigned int *line, unsigned int *col);

/* Line and column (1-based, as above) of byte offset off in text. */
void dpx_json_offset_pos(const char *text, size_t len, size_t off,
			 unsigned int *line, unsigned int *col);

#endif /* DPX_JSON_LOCATE_H */

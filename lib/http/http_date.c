/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP-date (RFC 9110 5.6.7) parse and format. The calendar is computed
 * here rather than by timegm()/gmtime_r(): those depend on the C library's
 * time zone and range handling, and a cache rule must give the same answer
 * on every machine.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "dpx_http.h"

static const char day_names[7][4] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *const day_names_long[7] = {
	"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
	"Saturday"
};
static const char month_names[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};
/* days before the first of each month in a common year */
static const uint16_t month_start[12] = {
	0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334
};

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 0001-01-01 to the first of January of year y >= 1. */
static int64_t days_before_year(int64_t y)
{
	int64_t p = y - 1;

	return 365 * p + p / 4 - p / 100 + p / 400;
}

#define EPOCH_DAYS 719162	/* days_before_year(1970) */

static int64_t days_from_civil(int64_t y, int m, int d)
{
	return days_before_year(y) - EPOCH_DAYS + month_start[m] +
	       (m >= 2 && is_leap(y)) + d - 1;
}

static int month_len(int64_t y, int m)
{
	static const uint8_t len[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	return len[m] + (m == 1 && is_leap(y));
}

/* n digits at s: their value, or -1. */
static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int month_of(const char *s)
{
	for (int m = 0; m < 12; m++)
		if (memcmp(s, month_names[m], 3) == 0)
			return m;
	return -1;
}

static bool short_day(const char *s)
{
	for (int i = 0; i < 7; i++)
		if (memcmp(s, day_names[i], 3) == 0)
			return true;
	return false;
}

/* "HH:MM:SS" at s into seconds of the day; 60 allowed for leap seconds. */
static int64_t time_of_day(const char *s)
{
	int h = digits(s, 2), m = digits(s + 3, 2), sec = digits(s + 6, 2);

	if (s[2] != ':' || s[5] != ':' || h < 0 || h > 23 || m < 0 ||
	    m > 59 || sec < 0 || sec > 60)
		return -1;
	return (int64_t)h * 3600 + m * 60 + sec;
}

static bool assemble(int64_t y, int m, int d, int64_t tod, int64_t *t)
{
	int64_t v;

	if (y < 1 || y > 9999 || m < 0 || d < 1 || d > month_len(y, m) ||
	    tod < 0)
		return false;
	v = days_from_civil(y, m, d) * 86400 + tod;
	/* a leap second on the last day of 9999 is past any date we write */
	if (v >= days_from_civil(9999, 11, 31) * 86400 + 86400)
		return false;
	*t = v;
	return true;
}

/* "Sun, 06 Nov 1994 08:49:37 GMT" */
static bool parse_imf(const char *s, int64_t *t)
{
	if (!short_day(s) || memcmp(s + 3, ", ", 2) != 0 || s[7] != ' ' ||
	    s[11] != ' ' || s[16] != ' ' || memcmp(s + 25, " GMT", 4) != 0)
		return false;
	return assemble(digits(s + 12, 4), month_of(s + 8), digits(s + 5, 2),
			time_of_day(s + 17), t);
}

/* The year of the two digits yy within 50 years of now's year. */
static int64_t pivot_year(int yy, int64_t now)
{
	int64_t days = now / 86400, cur = 1970 + days / 366, y;

	/* first guess is never past now's year; step up to it */
	while (days_from_civil(cur + 1, 0, 1) <= days)
		cur++;
	y = cur - cur % 100 + yy;
	if (y > cur + 50)
		y -= 100;
	else if (y <= cur - 50)
		y += 100;
	return y;
}

/* "Sunday, 06-Nov-94 08:49:37 GMT" */
static bool parse_rfc850(const char *s, uint32_t len, int64_t now,
			 int64_t *t)
{
	uint32_t n = 0;
	int yy;

	for (int i = 0; i < 7 && n == 0; i++) {
		uint32_t l = (uint32_t)strlen(day_names_long[i]);

		if (len > l && memcmp(s, day_names_long[i], l) == 0)
			n = l;
	}
	if (n == 0 || len != n + 24)
		return false;
	s += n;
	if (memcmp(s, ", ", 2) != 0 || s[4] != '-' || s[8] != '-' ||
	    s[11] != ' ' || memcmp(s + 20, " GMT", 4) != 0)
		return false;
	yy = digits(s + 9, 2);
	if (yy < 0)
		return false;
	/* the year search below counts up from 1970 */
	if (now < 0 || now > (INT64_C(1) << 40))
		now = 0;
	return assemble(pivot_year(yy, now), month_of(s + 5), digits(s + 2, 2),
			time_of_day(s + 12), t);
}

/* "Sun Nov  6 08:49:37 1994" */
static bool parse_asctime(const char *s, int64_t *t)
{
	int d;

	if (!short_day(s) || s[3] != ' ' || s[7] != ' ' || s[10] != ' ' ||
	    s[19] != ' ')
		return false;
	d = s[8] == ' ' ? digits(s + 9, 1) : digits(s + 8, 2);
	return assemble(digits(s + 20, 4), month_of(s + 4), d,
			time_of_day(s + 11), t);
}

bool dpx_http_date_parse(const char *s, uint32_t len, int64_t now,
			 int64_t *t)
{
	int64_t v;
	bool ok;

	if (len == 29 && s[3] == ',')
		ok = parse_imf(s, &v);
	else if (len == 24 && s[3] == ' ')
		ok = parse_asctime(s, &v);
	else if (len >= 30)
		ok = parse_rfc850(s, len, now, &v);
	else
		ok = false;
	if (ok)
		*t = v;
	return ok;
}

static void put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

int dpx_http_date_format(int64_t t, char *out, uint32_t cap)
{
	int64_t days, tod, y;
	int m, wd;

	if (cap < DPX_HTTP_DATE_LEN ||
	    t < days_from_civil(1, 0, 1) * 86400 ||
	    t >= days_from_civil(9999, 11, 31) * 86400 + 86400)
		return -1;
	/* floor division: t may be before 1970 */
	days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	tod = t - days * 86400;
	/* 1970-01-01 was a Thursday */
	wd = (int)(((days % 7) + 7 + 4) % 7);
	/* an estimate at most a year off, then exact steps */
	y = 1970 + (days * 400) / 146097;
	while (y > 1 && days_from_civil(y, 0, 1) > days)
		y--;
	while (y < 9999 && days_from_civil(y + 1, 0, 1) <= days)
		y++;
	days -= days_from_civil(y, 0, 1);
	for (m = 0; m < 11 && days >= month_len(y, m); m++)
		days -= month_len(y, m);
	memcpy(out, day_names[wd], 3);
	memcpy(out + 3, ", ", 2);
	put2(out + 5, (int)days + 1);
	out[7] = ' ';
	memcpy(out + 8, month_names[m], 3);
	out[11] = ' ';
	put2(out + 12, (int)(y / 100));
	put2(out + 14, (int)(y % 100));
	out[16] = ' ';
	put2(out + 17, (int)(tod / 3600));
	out[19] = ':';
	put2(out + 20, (int)(tod / 60 % 60));
	out[22] = ':';
	put2(out + 23, (int)(tod % 60));
	memcpy(out + 25, " GMT", 4);
	return DPX_HTTP_DATE_LEN;
}

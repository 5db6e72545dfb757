/*
 * line.c - the line builder of line.h.  Text past MP_LINE_MAX - 1 bytes is
 * dropped so the final '\n' always fits.
 */
#include "shim/line.h"

#include <errno.h>
#include "shim/raw_syscall.h"

#define MP_LINE_QUOTED_MAX 64

void mp_line_init(struct mp_line *ln)
{
	ln->len = 0;
}

static void mp_line_char(struct mp_line *ln, char c)
{
	if (ln->len < MP_LINE_MAX - 1)
		ln->buf[ln->len++] = c;
}

void mp_line_str(struct mp_line *ln, const char *s)
{
	while (*s)
		mp_line_char(ln, *s++);
}

void mp_line_u64(struct mp_line *ln, uint64_t v)
{
	char digits[20];
	int n = 0;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		mp_line_char(ln, digits[--n]);
}

void mp_line_i64(struct mp_line *ln, int64_t v)
{
	if (v < 0) {
		mp_line_char(ln, '-');
		mp_line_u64(ln, (uint64_t)0 - (uint64_t)v);
	} else {
		mp_line_u64(ln, (uint64_t)v);
	}
}

void mp_line_quoted(struct mp_line *ln, const char *s)
{
	size_t n;

	mp_line_char(ln, '\'');
	for (n = 0; s[n] && n < MP_LINE_QUOTED_MAX; n++) {
		unsigned char c = (unsigned char)s[n];
		mp_line_char(ln, c >= 0x20 && c < 0x7f ? (char)c : '?');
	}
	if (s[n])
		mp_line_str(ln, "...");
	mp_line_char(ln, '\'');
}

void mp_line_write(struct mp_line *ln, int fd)
{
	const char *p = ln->buf;
	size_t left;

	ln->buf[ln->len++] = '\n';   /* mp_line_char keeps one byte free */
	left = ln->len;
	while (left) {
		long r = mp_raw_syscall(SYS_write, fd, p, left);
		if (r == -EINTR)
			continue;
		if (r <= 0)
			return;
		p += r;
		left -= (size_t)r;
	}
}

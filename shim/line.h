/*
 * line.h - build one line of text in a caller's buffer and write it with a
 * single raw write(2).
 *
 * Used for warnings, debug output and schedtrace lines, which may be produced
 * before libc is usable for us (the constructor), by the monitor thread or
 * while the process is exiting: no stdio, no malloc, no errno, no locks.  One
 * write per line keeps lines from different threads and processes whole on a
 * pipe (writes up to PIPE_BUF bytes are atomic).
 */
#ifndef MAXPROCS_SHIM_LINE_H
#define MAXPROCS_SHIM_LINE_H

#include <stddef.h>
#include <stdint.h>

#define MP_LINE_MAX 512   /* longest line we write; longer text is cut */

struct mp_line {
	size_t len;
	char buf[MP_LINE_MAX];
};

void mp_line_init(struct mp_line *ln);
void mp_line_str(struct mp_line *ln, const char *s);
void mp_line_u64(struct mp_line *ln, uint64_t v);
void mp_line_i64(struct mp_line *ln, int64_t v);
/* Text from outside (an environment value): quoted, at most 64 bytes, and
 * every byte that is not printable ASCII shown as '?', so a value holding a
 * newline still gives one line. */
void mp_line_quoted(struct mp_line *ln, const char *s);

/* Append '\n' and write the whole line to fd; retries EINTR and short
 * writes, gives up silently on any other error (nowhere to report it). */
void mp_line_write(struct mp_line *ln, int fd);

#endif

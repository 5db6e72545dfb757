/*
 * write_loop.c - N one-byte writes to /dev/null, nothing else: the program
 * bench/count-instructions runs under callgrind, plainly and preloaded.
 *
 * usage: write_loop N
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
	int fd = open("/dev/null", O_WRONLY);
	if (n <= 0 || fd < 0) {
		fprintf(stderr, "usage: write_loop N (N > 0)\n");
		return 2;
	}
	for (long i = 0; i < n; i++)
		if (write(fd, "x", 1) != 1)
			return 1;
	return 0;
}

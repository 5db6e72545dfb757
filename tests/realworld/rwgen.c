/*
 * rwgen.c - deterministic inputs for the realworld cases (tests/realworld).
 *
 * usage:
 *   rwgen mixed BYTES            mixed data on stdout: text, random bytes,
 *                                runs, numbers, in 16 KiB chunks
 *   rwgen lines N                N lines "WORD WORD NUMBER" (for sort)
 *   rwgen gitstream COMMITS FILES  a `git fast-import` stream on stdout: a
 *                                branch `main` of COMMITS commits, each
 *                                changing a few of FILES text files
 *   rwgen port                   a free TCP port on 127.0.0.1
 *
 * The same arguments always give the same bytes (a fixed-seed generator).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static uint64_t state = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(void)
{
	/* xorshift64*: fast, and the same sequence everywhere. */
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return (uint32_t)((state * 0x2545f4914f6cdd1dULL) >> 32);
}

static const char *const words[] = {
	"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf",
	"hotel", "india", "juliet", "kilo", "lima", "mike", "november",
	"oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform",
	"victor", "whiskey", "xray", "yankee", "zulu", "thread", "mutex",
	"futex", "scheduler", "processor", "compress", "maxprocs", "slot",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

static void put_word(FILE *f)
{
	fputs(words[rnd() % NWORDS], f);
}

static int mixed(long long bytes)
{
	char chunk[16384];
	long long done = 0;
	unsigned kind = 0;

	while (done < bytes) {
		size_t n = sizeof(chunk), i = 0;
		FILE *m = fmemopen(chunk, sizeof(chunk), "w");

		if (!m)
			return 1;
		setvbuf(m, NULL, _IONBF, 0);
		switch (kind++ % 5) {
		case 0: /* text */
		case 3:
			while (ftell(m) < (long)sizeof(chunk) - 64) {
				put_word(m);
				fputc(rnd() % 9 ? ' ' : '\n', m);
			}
			n = (size_t)ftell(m);
			break;
		case 1: /* random bytes */
			for (i = 0; i < n; i++)
				chunk[i] = (char)rnd();
			break;
		case 2: /* runs */
			while (i < n) {
				size_t len = 1 + rnd() % 300;
				char c = (char)rnd();

				while (len-- && i < n)
					chunk[i++] = c;
			}
			break;
		default: /* numbers */
			while (ftell(m) < (long)sizeof(chunk) - 32)
				fprintf(m, "%u,%u\n", rnd() % 100000, rnd());
			n = (size_t)ftell(m);
			break;
		}
		fclose(m);
		if ((long long)n > bytes - done)
			n = (size_t)(bytes - done);
		if (fwrite(chunk, 1, n, stdout) != n)
			return 1;
		done += (long long)n;
	}
	return fflush(stdout) ? 1 : 0;
}

static int lines(long n)
{
	for (long i = 0; i < n; i++) {
		put_word(stdout);
		putchar(' ');
		put_word(stdout);
		printf(" %u\n", rnd() % 1000000);
	}
	return fflush(stdout) ? 1 : 0;
}

/* One file's text: a few hundred words, with the revision in it. */
static char *file_text(int file, int rev, size_t *len)
{
	char *buf = NULL;
	FILE *m = open_memstream(&buf, len);
	int nlines = 20 + (int)(rnd() % 60);

	if (!m)
		exit(1);
	fprintf(m, "/* file %d revision %d */\n", file, rev);
	for (int l = 0; l < nlines; l++) {
		int nw = 1 + (int)(rnd() % 10);

		for (int w = 0; w < nw; w++) {
			put_word(m);
			fputc(w + 1 < nw ? ' ' : '\n', m);
		}
	}
	fclose(m);
	return buf;
}

static int gitstream(int commits, int files)
{
	for (int c = 1; c <= commits; c++) {
		int nchanged = c == 1 ? files : 1 + (int)(rnd() % 4);

		printf("commit refs/heads/main\nmark :%d\n", c);
		printf("author R W <rw@example.invalid> %d +0000\n",
		       1700000000 + c * 60);
		printf("committer R W <rw@example.invalid> %d +0000\n",
		       1700000000 + c * 60);
		printf("data <<EOM\ncommit %d\nEOM\n", c);
		if (c > 1)
			printf("from :%d\n", c - 1);
		for (int i = 0; i < nchanged; i++) {
			int file = c == 1 ? i : (int)(rnd() % (unsigned)files);
			size_t len;
			char *text = file_text(file, c, &len);

			printf("M 100644 inline dir%d/f%d.txt\ndata %zu\n",
			       file % 8, file, len);
			fwrite(text, 1, len, stdout);
			putchar('\n');
			free(text);
		}
		putchar('\n');
	}
	return fflush(stdout) ? 1 : 0;
}

static int port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(fd, (struct sockaddr *)&a, &alen)) {
		perror("rwgen port");
		return 1;
	}
	printf("%u\n", ntohs(a.sin_port));
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "mixed"))
		return mixed(atoll(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "lines"))
		return lines(atol(argv[2]));
	if (argc == 4 && !strcmp(argv[1], "gitstream"))
		return gitstream(atoi(argv[2]), atoi(argv[3]));
	if (argc == 2 && !strcmp(argv[1], "port"))
		return port();
	fprintf(stderr, "usage: rwgen mixed BYTES | lines N | "
			"gitstream COMMITS FILES | port\n");
	return 2;
}

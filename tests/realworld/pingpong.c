/*
 * pingpong.c - request/response between two threads over a socketpair, as
 * a socket server and its client (or node's fs pool and its loop) talk
 * (issue 12, "Performance the suite must show").
 *
 * usage: pingpong N [recv|poll|pipe]
 *   recv  (default) blocking recv/send on an AF_UNIX stream socketpair
 *   poll  the same, each recv after a poll with a timeout (an event loop)
 *   pipe  two pipes, blocking read/write
 *
 * The client sends a 64-byte request, the server answers with the request's
 * sequence number; N round trips.  stdout gets one deterministic line (the
 * checksum of the answers); the round trips per second go to stderr.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum mode { M_RECV, M_POLL, M_PIPE };

static enum mode mode;
static long rounds;
/* to_server[0] read by the server, to_client[0] read by the client. */
static int to_server[2], to_client[2];

static void io_full(int fd, void *buf, size_t n, int writing)
{
	char *p = buf;

	while (n) {
		ssize_t r;

		if (!writing && mode == M_POLL) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };

			if (poll(&pfd, 1, 5000) < 0 && errno != EINTR) {
				perror("poll");
				exit(1);
			}
		}
		if (mode == M_PIPE)
			r = writing ? write(fd, p, n) : read(fd, p, n);
		else
			r = writing ? send(fd, p, n, 0) : recv(fd, p, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			perror(writing ? "send" : "recv");
			exit(1);
		}
		p += r;
		n -= (size_t)r;
	}
}

static void *server(void *arg)
{
	char req[64];

	(void)arg;
	for (long i = 0; i < rounds; i++) {
		uint64_t seq;

		io_full(to_server[0], req, sizeof(req), 0);
		memcpy(&seq, req, sizeof(seq));
		seq = seq * 2 + 1;
		io_full(to_client[1], &seq, sizeof(seq), 1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	pthread_t th;
	uint64_t sum = 0;
	double s;

	if (argc < 2 || (rounds = atol(argv[1])) <= 0) {
		fprintf(stderr, "usage: pingpong N [recv|poll|pipe]\n");
		return 2;
	}
	mode = argc < 3 || !strcmp(argv[2], "recv") ? M_RECV
	       : !strcmp(argv[2], "poll")           ? M_POLL
						    : M_PIPE;
	if (mode == M_PIPE) {
		if (pipe(to_server) || pipe(to_client)) {
			perror("pipe");
			return 1;
		}
	} else {
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
			perror("socketpair");
			return 1;
		}
		/* One socket each way: the server reads sv[1], the client sv[0]. */
		to_server[0] = sv[1];
		to_client[1] = sv[1];
		to_server[1] = sv[0];
		to_client[0] = sv[0];
	}
	if (pthread_create(&th, NULL, server, NULL)) {
		fprintf(stderr, "pthread_create failed\n");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < rounds; i++) {
		char req[64] = { 0 };
		uint64_t seq = (uint64_t)i, ans;

		memcpy(req, &seq, sizeof(seq));
		io_full(to_server[1], req, sizeof(req), 1);
		io_full(to_client[0], &ans, sizeof(ans), 0);
		if (ans != seq * 2 + 1) {
			fprintf(stderr, "round %ld: answer %llu\n", i,
				(unsigned long long)ans);
			return 1;
		}
		sum += ans;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_join(th, NULL);
	s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("pingpong %s: %ld round trips, checksum %llu\n",
	       mode == M_RECV ? "recv" : mode == M_POLL ? "poll" : "pipe", rounds,
	       (unsigned long long)sum);
	fprintf(stderr, "round_trips_per_s=%.0f\n", s > 0 ? (double)rounds / s : 0.0);
	return 0;
}

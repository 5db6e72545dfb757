/*
 * mcload.c - a closed-loop memcached load (bench/compare).
 *
 * C connections, one thread each, send get (90 %) and set (10 %) requests in
 * memcached's text protocol over TCP, each waiting for its reply before the
 * next, on K keys with V-byte values (set first, so every get hits).  It
 * reports requests per second and the request latency's p50/p99/p99.9.
 *
 * Debian's memaslap (libmemcached-tools) gives latencies only as power-of-2
 * buckets, which cannot tell a p99 of 300 us from one of 500 us; hence this
 * small client.  The server's own context switches and CPU time are
 * bench/compare's to measure (from /proc): this line has only the client's
 * view.
 *
 * usage: mcload --port P [--host A] [--conns C] [--seconds D] [--keys K] [--value V]
 */
#include "workload.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *host = "127.0.0.1";
static unsigned port;
static uint64_t nkeys = 1000, value_len = 100;
static atomic_bool stop;
static atomic_bool failed;
static pthread_barrier_t start;

struct conn {
	pthread_t thread;
	int fd;
	uint64_t rng, ops;
	struct wl_hist hist;
	char *req, *buf;          /* request and reply buffers */
};

static size_t buf_size(void)
{
	return value_len + 256;
}

/* The server may still be starting: try for up to 5 s. */
static int connect_server(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		fprintf(stderr, "mcload: not an IPv4 address: %s\n", host);
		exit(2);
	}
	uint64_t give_up = wl_now_ns() + 5000000000u;
	for (;;) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			perror("mcload: socket");
			exit(1);
		}
		if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
			int one = 1;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
			return fd;
		}
		int err = errno;
		close(fd);
		if (wl_now_ns() > give_up) {
			fprintf(stderr, "mcload: connect %s:%u: %s\n", host, port, strerror(err));
			exit(1);
		}
		wl_sleep_ns(20000000);
	}
}

static bool send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* Reads until the reply ends with end (the values are all 'x', so "END\r\n"
 * cannot appear inside one). */
static bool read_reply(struct conn *c, const char *end)
{
	size_t have = 0, endlen = strlen(end), cap = buf_size();
	for (;;) {
		ssize_t r = recv(c->fd, c->buf + have, cap - have, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		have += (size_t)r;
		if (have >= endlen && !memcmp(c->buf + have - endlen, end, endlen))
			break;
		if (have == cap)
			return false;
	}
	/* A server error is a failed run, not a fast request. */
	return strncmp(c->buf, "ERROR", 5) && strncmp(c->buf, "SERVER_ERROR", 12) &&
	       strncmp(c->buf, "CLIENT_ERROR", 12);
}

static bool do_set(struct conn *c, uint64_t key)
{
	int n = snprintf(c->req, buf_size(), "set key:%llu 0 0 %llu\r\n",
	                 (unsigned long long)key, (unsigned long long)value_len);
	memset(c->req + n, 'x', value_len);
	memcpy(c->req + n + value_len, "\r\n", 2);
	return send_all(c->fd, c->req, (size_t)n + value_len + 2) &&
	       read_reply(c, "STORED\r\n");
}

static bool do_get(struct conn *c, uint64_t key)
{
	int n = snprintf(c->req, buf_size(), "get key:%llu\r\n", (unsigned long long)key);
	return send_all(c->fd, c->req, (size_t)n) && read_reply(c, "END\r\n");
}

static uint64_t next_rand(uint64_t *s)    /* xorshift64 */
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void *run(void *arg)
{
	struct conn *c = arg;
	pthread_barrier_wait(&start);
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		uint64_t r = next_rand(&c->rng), key = (r >> 8) % nkeys;
		uint64_t t0 = wl_now_ns();
		bool ok = r % 10 == 0 ? do_set(c, key) : do_get(c, key);
		if (!ok) {
			fprintf(stderr, "mcload: request failed: %s\n",
			        errno ? strerror(errno) : "bad reply");
			atomic_store(&failed, true);
			break;
		}
		wl_hist_add(&c->hist, wl_now_ns() - t0);
		c->ops++;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "host", required_argument, NULL, 'h' },
		{ "port", required_argument, NULL, 'p' },
		{ "conns", required_argument, NULL, 'c' },
		{ "seconds", required_argument, NULL, 'd' },
		{ "keys", required_argument, NULL, 'k' },
		{ "value", required_argument, NULL, 'v' },
		{ 0, 0, 0, 0 },
	};
	uint64_t nconns = 8;
	double seconds = 2;
	int opt;
	bool bad = false;
	while ((opt = getopt_long(argc, argv, "p:c:d:", opts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			host = optarg;
			break;
		case 'p':
			port = (unsigned)wl_arg_u64("--port", optarg, 1, 65535);
			break;
		case 'c':
			nconns = wl_arg_u64("--conns", optarg, 1, 1024);
			break;
		case 'd':
			seconds = wl_arg_seconds("--seconds", optarg);
			break;
		case 'k':
			nkeys = wl_arg_u64("--keys", optarg, 1, 100000000);
			break;
		case 'v':
			value_len = wl_arg_u64("--value", optarg, 1, 1000000);
			break;
		default:
			bad = true;   /* getopt named it; after the loop, so a later --port cannot hide it */
			break;
		}
	}
	if (!port || bad) {
		fprintf(stderr, "usage: mcload --port P [--host A] [--conns C] [--seconds D] [--keys K] [--value V]\n");
		return 2;
	}

	struct conn *c = calloc(nconns, sizeof *c);
	if (!c) {
		perror("mcload: calloc");
		return 1;
	}
	for (uint64_t i = 0; i < nconns; i++) {
		c[i].fd = connect_server();
		c[i].rng = 0x9e3779b97f4a7c15u * (i + 1);
		c[i].req = malloc(buf_size());
		c[i].buf = malloc(buf_size());
		if (!c[i].req || !c[i].buf) {
			perror("mcload: malloc");
			return 1;
		}
	}
	for (uint64_t k = 0; k < nkeys; k++) {
		if (!do_set(&c[0], k)) {
			fprintf(stderr, "mcload: preloading the keys failed\n");
			return 1;
		}
	}

	pthread_barrier_init(&start, NULL, (unsigned)nconns + 1);
	for (uint64_t i = 0; i < nconns; i++) {
		wl_spawn("mcload", &c[i].thread, run, &c[i]);
	}
	pthread_barrier_wait(&start);
	uint64_t t0 = wl_now_ns();
	wl_sleep_ns((uint64_t)(seconds * 1e9));
	atomic_store(&stop, true);
	uint64_t ops = 0;
	static struct wl_hist all;
	for (uint64_t i = 0; i < nconns; i++) {
		pthread_join(c[i].thread, NULL);
		ops += c[i].ops;
		wl_hist_merge(&all, &c[i].hist);
		close(c[i].fd);
		free(c[i].req);
		free(c[i].buf);
	}
	free(c);
	double elapsed = (double)(wl_now_ns() - t0) / 1e9;
	if (atomic_load(&failed))
		return 1;

	printf("workload=memcached conns=%llu keys=%llu value=%llu seconds=%.3f ops=%llu tput=%.1f",
	       (unsigned long long)nconns, (unsigned long long)nkeys,
	       (unsigned long long)value_len, elapsed, (unsigned long long)ops,
	       (double)ops / elapsed);
	wl_print_pct(stdout, &all);
	printf("\n");
	return 0;
}

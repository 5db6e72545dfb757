/* look_first: a client asks, then waits for the answer in one of the
 * LOOK_FIRST calls (read, recv, poll, ppoll, epoll_wait) while the server,
 * woken by the request, waits for the one P (preload/look.h).  Every
 * answer comes back right and in order, plain and capped.  Under -p 1, with
 * a long spin (MAXPROCS_SPIN_US=1000, set by the test's runner) and a
 * client that makes calls between asking and waiting, the server is the
 * spinning waiter when the client enters its wait: the look finds that the
 * wait would sleep and hands the P over (lookhandoffs > 0).  With spinning
 * off (MP_LOOK_PARKED, look_first_parked) the server is parked instead, and
 * poll and epoll_wait, which look whenever an M waits, still hand over. */
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <unistd.h>
#include "itest.h"
#include "itstats.h"

#define ROUNDS 400

enum how { H_READ, H_RECV, H_POLL, H_PPOLL, H_EPOLL, H_COUNT };
static const char *const how_names[H_COUNT] = { "read", "recv", "poll", "ppoll", "epoll_wait" };

static int req[2], resp[2];   /* client writes req[1]; server answers on resp[1] */
static int devnull;

/* Wait for the answer on resp[0] the way `how` says, then read it. */
static unsigned answer(enum how how, int ep)
{
	unsigned v = 0;
	ssize_t n;
	switch (how) {
	case H_RECV:
		n = recv(resp[0], &v, sizeof v, 0);
		break;
	case H_POLL: {
		struct pollfd p = { .fd = resp[0], .events = POLLIN };
		it_check(poll(&p, 1, 10000) == 1 && (p.revents & POLLIN), "poll: no answer");
		n = read(resp[0], &v, sizeof v);
		break;
	}
	case H_PPOLL: {
		struct pollfd p = { .fd = resp[0], .events = POLLIN };
		struct timespec ts = { 10, 0 };
		it_check(ppoll(&p, 1, &ts, NULL) == 1 && (p.revents & POLLIN), "ppoll: no answer");
		n = read(resp[0], &v, sizeof v);
		break;
	}
	case H_EPOLL: {
		struct epoll_event ev;
		it_check(epoll_wait(ep, &ev, 1, 10000) == 1 && ev.data.u32 == 7, "epoll_wait: no answer");
		n = read(resp[0], &v, sizeof v);
		break;
	}
	default:
		n = read(resp[0], &v, sizeof v);
		break;
	}
	it_check(n == sizeof v, "%s: short answer (%zd)", how_names[how], n);
	return v;
}

static void talk(enum how how)
{
	int ep = epoll_create1(0);
	it_check(ep >= 0, "epoll_create1");
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 7 };
	it_sys(epoll_ctl(ep, EPOLL_CTL_ADD, resp[0], &ev));
	pthread_t s;
	struct it_server srv = { req[0], resp[1], ROUNDS };
	it_create(&s, it_answer_requests, &srv);
	for (unsigned i = 0; i < ROUNDS; i++) {
		unsigned v = i;
		it_check(write(req[1], &v, sizeof v) == sizeof v, "client: short write");
		/* Calls while the server wakes (library runs: until it waits
		 * for the P, or long enough): it queues and spins beside a
		 * holder that makes calls. */
		for (int k = 0, after = -1; k < 2000 && after != 0; k++, after--) {
			it_check(write(devnull, "x", 1) == 1, "client: /dev/null");
			if (after > 0)
				continue;   /* a few more: from queued to spinning */
			struct mp_stats st;
			bool counted = it_stats(&st);
			if (!counted ? k == 20 : st.waiting != 0)
				after = 10;
		}
		v = answer(how, ep);
		it_check(v == i * 2 + 1, "%s: answer %u to request %u", how_names[how], v, i);
	}
	it_join(s);
	close(ep);
	printf("%s: %d requests answered in order\n", how_names[how], ROUNDS);
}

int main(void)
{
	it_check_mode();
	devnull = open("/dev/null", O_WRONLY);
	it_check(devnull >= 0, "/dev/null");
	for (int how = 0; how < H_COUNT; how++) {
		int sv[2], a[2], b[2];
		if (how == H_RECV) {
			it_sys(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
			req[0] = sv[1], req[1] = sv[0], resp[0] = sv[0], resp[1] = sv[1];
		} else {
			it_sys(pipe(a));
			it_sys(pipe(b));
			req[0] = a[0], req[1] = a[1], resp[0] = b[0], resp[1] = b[1];
		}
		talk((enum how)how);
		if (how == H_RECV) {
			close(sv[0]);
			close(sv[1]);
		} else {
			close(a[0]), close(a[1]), close(b[0]), close(b[1]);
		}
	}
	struct mp_stats st;
	if (it_stats(&st)) {
		fprintf(stderr, "look_first: %llu look hand-offs, %llu steals, %llu retakes\n",
		        (unsigned long long)st.look_handoffs, (unsigned long long)st.sleeper_steals,
		        (unsigned long long)st.retakes);
		/* The spinner, and a server that queues while the client
		 * runs, need a second CPU (none with one in the mask).
		 * MP_LOOK_PARKED (spinning off): only poll and epoll_wait
		 * look, whenever an M waits, and the server is parked. */
		bool parked = getenv("MP_LOOK_PARKED") != NULL;
		if (it_procs() == 1 && it_usable_cpus() >= 2)
			it_check(st.look_handoffs > 0, parked ?
			         "no poll or epoll_wait handed its P to the parked server" :
			         "no LOOK_FIRST call handed its P to the spinning server");
	}
	return IT_PASS;
}

/* reqresp_pingpong: two threads talk request/response over a socketpair,
 * then over a pair of pipes: every message is
 * answered in order and none is lost or doubled, whatever the cap.  Under
 * -p 1 each message hands the one P from a holder asleep in a read to the
 * thread that its write woke: the spinning waiter's steal
 * (sched/spinwait.c), else the monitor's retake. */
#include <sys/socket.h>
#include <unistd.h>
#include "itest.h"

#define ROUNDS 3000

static int req[2], resp[2];   /* the client writes req[1], the server answers on resp[1] */

static void talk(const char *how)
{
	pthread_t s;
	struct it_server srv = { req[0], resp[1], ROUNDS };
	it_create(&s, it_answer_requests, &srv);
	for (unsigned i = 0; i < ROUNDS; i++) {
		unsigned v = i;
		it_check(write(req[1], &v, sizeof v) == sizeof v, "client: short write");
		it_check(read(resp[0], &v, sizeof v) == sizeof v, "client: short read");
		it_check(v == i * 2 + 1, "client: answer %u to request %u", v, i);
	}
	it_join(s);
	printf("%s: %d requests answered in order\n", how, ROUNDS);
}

int main(void)
{
	it_check_mode();
	int sv[2];
	it_sys(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	req[0] = sv[1], req[1] = sv[0], resp[0] = sv[0], resp[1] = sv[1];
	talk("socketpair");
	close(sv[0]);
	close(sv[1]);
	int a[2], b[2];
	it_sys(pipe(a));
	it_sys(pipe(b));
	req[0] = a[0], req[1] = a[1], resp[0] = b[0], resp[1] = b[1];
	talk("pipes");
	return IT_PASS;
}

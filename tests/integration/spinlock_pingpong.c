/* spinlock_pingpong: four threads pass a turn around 100 times under a pthread_spinlock_t. */
#include "itest.h"

#define NTHREADS 4
#define TURNS 100   /* each may wait for the right thread to be scheduled */

static pthread_spinlock_t lock;
static int turn, taken;

static void *player(void *arg)
{
	int me = (int)(long)arg;
	bool done = false;

	while (!done) {
		it_pt(pthread_spin_lock(&lock));
		if (taken >= TURNS) {
			done = true;
		} else if (turn == me) {
			taken++;
			turn = (turn + 1) % NTHREADS;
		}
		it_pt(pthread_spin_unlock(&lock));
	}
	return NULL;
}

int main(void)
{
	pthread_t t[NTHREADS];
	long i;

	it_check_mode();
	it_pt(pthread_spin_init(&lock, PTHREAD_PROCESS_PRIVATE));
	for (i = 0; i < NTHREADS; i++)
		it_create(&t[i], player, (void *)i);
	for (i = 0; i < NTHREADS; i++)
		it_join(t[i]);
	printf("%d turns taken, next turn %d\n", taken, turn);
	return IT_PASS;
}

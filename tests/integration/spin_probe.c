/* spin_probe: the spin probe hands a spinning holder's P over early, and
 * never takes one from a thread that computes.
 *   compute   three threads at -p 1 compute without calls for ~1 s in
 *             three kinds of loop (a counter on the stack, arithmetic in
 *             registers, a scan of an array): probes are sent, and no
 *             P is ever given up as a spinner's (spinyields stays 0);
 *   handover  two threads hand a turn back and forth by spinning on an
 *             atomic with no pause and no call: every round finishes, and
 *             under -p 1 the probe is what moved the P (spinyields > 0).
 * Without the library each only checks its own results. */
#include <stdatomic.h>
#include "itest.h"
#include "itstats.h"

static volatile int stop;
static uint64_t results[3];

__attribute__((noinline)) static void *stack_counter(void *arg)
{
	volatile uint64_t n = 0;
	while (!stop)
		n++;
	results[0] = n;
	return arg;
}

__attribute__((noinline)) static void *registers(void *arg)
{
	uint64_t x = 88172645463325252ull, sum = 0;
	while (!stop) {
		for (int i = 0; i < 1000; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			sum += x;
		}
	}
	results[1] = sum;
	return arg;
}

static uint32_t array[1 << 18];

__attribute__((noinline)) static void *scan(void *arg)
{
	uint64_t sum = 0;
	while (!stop)
		for (size_t i = 0; i < sizeof array / sizeof array[0]; i++)
			sum += array[i]++;
	results[2] = sum;
	return arg;
}

static void case_compute(void)
{
	pthread_t t[3];
	/* Data to add: a scan that adds zeros changes nothing it computes
	 * with but its index, and looks like a counting spin (design.md). */
	for (size_t i = 0; i < sizeof array / sizeof array[0]; i++)
		array[i] = (uint32_t)i * 2654435761u + 1;
	it_create(&t[0], stack_counter, NULL);
	it_create(&t[1], registers, NULL);
	it_create(&t[2], scan, NULL);
	it_burn_cpu(1.0);   /* main computes too; its clock reads are vDSO, not calls */
	stop = 1;
	for (int i = 0; i < 3; i++)
		it_join(t[i]);
	it_check(results[0] && results[1] && results[2], "a compute thread did not run");
	struct mp_stats st;
	if (it_stats(&st)) {
		fprintf(stderr, "compute: %llu probes, %llu spin yields, %llu signal preemptions\n",
		        (unsigned long long)st.probe_signals, (unsigned long long)st.spin_yields,
		        (unsigned long long)st.signal_preempts);
		it_check(st.spin_yields == 0, "%llu Ps taken from computing threads as spinners",
		         (unsigned long long)st.spin_yields);
		if (it_procs() == 1)
			it_check(st.probe_signals > 0, "no probe was sent: nothing was tested");
	}
	puts("compute: every thread kept computing");
}

#define ROUNDS 300
static atomic_int turn;

static void *player(void *arg)
{
	int me = (int)(long)arg;
	for (int i = 0; i < ROUNDS; i++) {
		while (atomic_load_explicit(&turn, memory_order_acquire) != me)
			;
		atomic_store_explicit(&turn, 1 - me, memory_order_release);
	}
	return arg;
}

static void case_handover(void)
{
	pthread_t t[2];
	for (long i = 0; i < 2; i++)
		it_create(&t[i], player, (void *)i);
	for (int i = 0; i < 2; i++)
		it_join(t[i]);
	struct mp_stats st;
	if (it_stats(&st)) {
		fprintf(stderr, "handover: %llu probes, %llu spin yields, %llu signal preemptions, %llu revokes\n",
		        (unsigned long long)st.probe_signals, (unsigned long long)st.spin_yields,
		        (unsigned long long)st.signal_preempts, (unsigned long long)st.revokes);
		/* On a machine so loaded that a spinner is left without a CPU
		 * for milliseconds, the monitor revokes its P instead. */
		if (it_procs() == 1 && st.spin_yields == 0 && st.revokes > 0) {
			/* so loaded that the monitor revoked instead: nothing shown */
			fprintf(stderr, "handover: the machine is too loaded to show the probe: skipped\n");
			exit(IT_SKIP);
		}
		if (it_procs() == 1)
			it_check(st.spin_yields > 0, "the spinners' Ps moved only at slice ends");
	}
	printf("handover: %d round trips\n", ROUNDS);
}

int main(int argc, char **argv)
{
	it_check_mode();
	it_check(argc == 2, "usage: spin_probe compute|handover");
	if (!strcmp(argv[1], "compute"))
		case_compute();
	else if (!strcmp(argv[1], "handover"))
		case_handover();
	else
		it_fail("unknown case '%s' (compute or handover)", argv[1]);
	return IT_PASS;
}

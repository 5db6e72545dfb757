/* malloc_contention: 16 threads allocate and free small and large blocks in a loop (glibc arena locks are taken inside malloc, unseen). */
#include <stdint.h>
#include "itest.h"

#define NTHREADS 16
#define ROUNDS 4000
#define SLOTS 32

static void *churn(void *arg)
{
	uint64_t seed = (uint64_t)(uintptr_t)arg * 2654435761u + 1, sum = 0;
	void *slot[SLOTS] = { 0 };
	int i, k;

	for (i = 0; i < ROUNDS; i++) {
		size_t size;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		k = (int)(seed >> 59) % SLOTS;
		/* One in eight is large enough for mmap or the top chunk. */
		size = (seed >> 40) % 8 == 0 ? 64 * 1024 + (seed >> 48) % 256 * 1024
		                              : 16 + (seed >> 32) % 512;
		free(slot[k]);
		slot[k] = malloc(size);
		it_check(slot[k] != NULL, "malloc(%zu) failed", size);
		((char *)slot[k])[0] = (char)i;
		((char *)slot[k])[size - 1] = (char)i;
		sum += size;
	}
	for (k = 0; k < SLOTS; k++)
		free(slot[k]);
	return (void *)(uintptr_t)sum;
}

int main(void)
{
	pthread_t t[NTHREADS];
	uint64_t total = 0;
	long i;

	it_check_mode();
	for (i = 0; i < NTHREADS; i++)
		it_create(&t[i], churn, (void *)i);
	for (i = 0; i < NTHREADS; i++)
		total += (uint64_t)(uintptr_t)it_join(t[i]);
	printf("%d threads allocated %llu bytes in all\n", NTHREADS,
	       (unsigned long long)total);
	return IT_PASS;
}

/* monitor_footprint: under a tight RLIMIT_AS (VmSize + 6 MiB) four threads with 1 MiB stacks run capped (the monitor's stack must be small); the monitor thread is named maxprocs-mon and its stack mapping is small. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>
#include "itest.h"

#define NTHREADS 4
#define HEADROOM (6ul << 20)

static int fds[2];

static void *worker(void *arg)
{
	char c;

	it_burn_cpu(0.02);
	it_sys(write(fds[1], "x", 1));
	it_sleep_ms(1);
	it_sys(read(fds[0], &c, 1));
	return arg;
}

static unsigned long status_kib(const char *key)
{
	char line[256];
	unsigned long v = 0;
	FILE *f = fopen("/proc/self/status", "r");

	it_check(f, "/proc/self/status: %s", strerror(errno));
	while (fgets(line, sizeof line, f))
		if (strncmp(line, key, strlen(key)) == 0)
			v = strtoul(line + strlen(key), NULL, 10);
	fclose(f);
	return v;
}

static bool read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return false;
	buf[n] = 0;
	return true;
}

/* The size of the mapping of /proc/self/maps that holds addr, or 0. */
static unsigned long mapping_size(unsigned long addr)
{
	char line[512];
	unsigned long lo, hi, size = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && lo <= addr && addr < hi)
			size = hi - lo;
	fclose(f);
	return size;
}

/* One look for the monitor thread by name: returns how many have it and,
 * in *stack, the size of the mapping holding the stack pointer of one
 * that sleeps in a system call (0 if none did). */
static int find_monitor(unsigned long *stack)
{
	char path[300], text[512];
	struct dirent *de;
	int found = 0;
	DIR *dir = opendir("/proc/self/task");

	it_check(dir, "/proc/self/task: %s", strerror(errno));
	while ((de = readdir(dir)) != NULL) {
		unsigned long w[9];

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "/proc/self/task/%s/comm", de->d_name);
		if (!read_text(path, text, sizeof text) || strcmp(text, "maxprocs-mon\n") != 0)
			continue;
		found++;
		/* "nr a1 .. a6 sp pc" while it sleeps in futex. */
		snprintf(path, sizeof path, "/proc/self/task/%s/syscall", de->d_name);
		if (read_text(path, text, sizeof text) &&
		    sscanf(text, "%lu %lx %lx %lx %lx %lx %lx %lx %lx", &w[0], &w[1],
		           &w[2], &w[3], &w[4], &w[5], &w[6], &w[7], &w[8]) == 9)
			*stack = mapping_size(w[7]);
	}
	closedir(dir);
	return found;
}

/* The monitor names itself when it starts: look for up to 2 s. */
static void check_monitor(void)
{
	unsigned long stack = 0;
	int found = 0;

	for (int i = 0; i < 400 && (found != 1 || !stack); i++) {
		if (i)
			it_sleep_ms(5);
		found = find_monitor(&stack);
	}
	it_check(found == 1, "%d threads named maxprocs-mon, expected 1", found);
	fprintf(stderr, "monitor stack mapping: %lu KiB\n", stack >> 10);
	it_check(stack && stack <= (1ul << 20), "the monitor's stack mapping is %lu KiB",
	         stack >> 10);
}

int main(void)
{
	pthread_t t[NTHREADS];
	pthread_attr_t attr;
	struct rlimit rl;
	int i;

	it_check_mode();
	it_sys(pipe(fds));
#ifndef __SANITIZE_ADDRESS__
	/* (ASan reserves terabytes of shadow: no address-space limit there.) */
	rl.rlim_cur = rl.rlim_max = status_kib("VmSize:") * 1024 + HEADROOM;
	it_sys(setrlimit(RLIMIT_AS, &rl));
#else
	(void)rl;
	(void)status_kib;
#endif
	it_pt(pthread_attr_init(&attr));
	it_pt(pthread_attr_setstacksize(&attr, 1ul << 20));
	for (i = 0; i < NTHREADS; i++)
		it_pt(pthread_create(&t[i], &attr, worker, NULL));
	if (it_procs())
		check_monitor();
	for (i = 0; i < NTHREADS; i++)
		it_join(t[i]);
	printf("%d threads with 1 MiB stacks ran under RLIMIT_AS\n", NTHREADS);
	return IT_PASS;
}

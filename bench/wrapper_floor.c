/*
 * wrapper_floor.c - the cheapest wrapper that does anything after the real
 * call: write() calls libc's write and returns, with nothing around it but
 * a compiler barrier that keeps the call from becoming a tail call.
 * bench_write runs it as a column beside libmaxprocs.so: whatever it costs
 * over plain is what any interposed call that must act after the real one
 * pays on this machine, before any scheduler work.  (On AMD EPYC with the
 * kernel's SRSO "Safe RET" mitigation and retpolines, the return after a
 * system call is mispredicted: one more return level costs 4-8 ns.)
 */
#include <dlfcn.h>
#include <unistd.h>

static ssize_t (*real_write)(int, const void *, size_t);

__attribute__((constructor)) static void floor_init(void)
{
	real_write = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
}

__attribute__((visibility("default"))) ssize_t write(int fd, const void *buf, size_t n)
{
	ssize_t r = real_write(fd, buf, n);
	__asm__ volatile("" ::: "memory");
	return r;
}

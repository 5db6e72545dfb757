/* catch_all_static: a static child for catch_all exec; it reads, writes and sleeps, under the filter its parent left (inert: libc is not where the filter looks). */
#include <time.h>
#include <unistd.h>

int main(void)
{
	char c;
	struct timespec ts = { 0, 1000 };
	if (write(1, "", 0) != 0 || read(0, &c, 0) != 0)
		return 1;
	nanosleep(&ts, NULL);
	return 0;
}

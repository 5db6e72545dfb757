/* fgets_pipe: a thread in fgets on a pipe (stdio's internal read, not intercepted) lets the thread that writes after 50 ms of computing run. */
#include <unistd.h>
#include "itest.h"

static int fds[2];

static void *late_writer(void *arg)
{
	(void)arg;
	it_burn_cpu(0.05);
	it_sys(write(fds[1], "hello\n", 6));
	return NULL;
}

int main(void)
{
	char line[32] = "";
	pthread_t t;
	FILE *in;

	it_check_mode();
	it_sys(pipe(fds));
	in = fdopen(fds[0], "r");
	it_check(in != NULL, "fdopen: %s", strerror(errno));
	it_create(&t, late_writer, NULL);
	it_check(fgets(line, sizeof line, in) != NULL, "fgets: EOF or error");
	it_join(t);
	printf("read line: %s", line);
	fclose(in);
	return IT_PASS;
}

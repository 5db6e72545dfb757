/* launcher_env: the launcher hands the program the library first in LD_PRELOAD, the settings, and the program's own arguments; prints what it sees. */
#include <unistd.h>
#include "itest.h"

int main(int argc, char **argv)
{
	const char *preload = getenv("LD_PRELOAD");
	const char *names[] = { "MAXPROCS", "MAXPROCS_SCHEDTRACE",
	                        "MAXPROCS_SLICE_US", "OMP_WAIT_POLICY" };
	char first[4096];
	size_t len, i;
	int a;

	it_check(preload != NULL, "LD_PRELOAD is not set");
	len = strcspn(preload, ": ");
	it_check(len < sizeof first, "LD_PRELOAD too long");
	memcpy(first, preload, len);
	first[len] = '\0';
	it_check(first[0] == '/', "first LD_PRELOAD entry '%s' is not an "
	         "absolute path", first);
	it_check(access(first, R_OK) == 0, "first LD_PRELOAD entry '%s': %s",
	         first, strerror(errno));
	printf("LD_PRELOAD first: %s\n", strrchr(first, '/') + 1);
	printf("LD_PRELOAD rest: %s\n", preload[len] ? preload + len + 1 : "");
	printf("library loaded: %s\n", it_library_loaded() ? "yes" : "no");
	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		printf("%s=%s\n", names[i],
		       getenv(names[i]) ? getenv(names[i]) : "(unset)");
	printf("argv:");
	for (a = 1; a < argc; a++)
		printf(" [%s]", argv[a]);
	putchar('\n');
	return IT_PASS;
}

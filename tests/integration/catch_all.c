/* catch_all: catch-all mode (MAXPROCS_CATCH_ALL=1, preload/catchall.c): blocking calls libc makes inside itself are trapped and bracketed, and nothing dies of SIGSYS.  One case per argument:
 *   fgets          stdio fgets on a pipe filled by a thread that needs the P; the counters show the trapped read
 *   syscall_read   syscall(SYS_read) and an inline syscall instruction, each blocking on a pipe
 *   c11_cond       C11 cnd_wait/mtx_lock (glibc-internal futex waits, no exported wrapper): trapped
 *   malloc         contended malloc arena locks (one arena, 4 threads)
 *   exec STATIC    50 x each: fork+exec of a dynamic, a static (STATIC, if built) and a shell child, system(), popen(), python3 subprocess
 *   sigblock_read  a thread that blocks every signal, then reads through stdio
 *   handler_write  a SIGALRM handler that writes while a trapped read blocks (SA_RESTART: the read goes on), then EINTR without SA_RESTART
 *   cancel_read    pthread_cancel of a thread blocked in a trapped read
 *   suspend_mask   sigsuspend and ppoll with every signal but one blocked; its handler sleeps (a trap)
 *   getaddrinfo    resolve slow.test (catch_all_getaddrinfo.sh runs a slow resolver) while a thread computes
 *   timer_thread   a SIGEV_THREAD timer's function (glibc runs it with every signal blocked) sleeps and writes
 * In a library run with the mode on, a case that should trap checks the counter traps grew. */

#include <fcntl.h>
#include <arpa/inet.h>
#include <malloc.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <threads.h>
#include <unistd.h>

#include "itest.h"
#include "itstats.h"

extern char **environ;

static bool mode_on(void)
{
	const char *e = getenv("MAXPROCS_CATCH_ALL");
	return e && strcmp(e, "1") == 0 && it_library_loaded();
}

static uint64_t traps(void)
{
	struct mp_stats st;
	return it_stats(&st) ? st.traps : 0;
}

static void expect_traps(uint64_t before, const char *what)
{
	uint64_t after = traps();
	if (getenv("CATCH_ALL_EXPECT_REFUSED"))   /* catch_all_refuse.sh */
		it_check(after == before, "%s: the mode refused, yet a call was trapped", what);
	else if (mode_on())
		it_check(after > before, "%s: no trapped call counted (traps %llu -> %llu)", what,
		         (unsigned long long)before, (unsigned long long)after);
}

static int fds[2];

/* Computes 50 ms (it needs the P: at -p 1 the reader must give it up), then writes. */
static void *late_writer(void *arg)
{
	it_burn_cpu(0.05);
	it_sys(write(fds[1], arg ? arg : "hello\n", 6));
	return NULL;
}

static int case_fgets(void)
{
	char line[32] = "";
	pthread_t t;
	uint64_t t0 = traps();
	it_sys(pipe(fds));
	FILE *in = fdopen(fds[0], "r");
	it_check(in != NULL, "fdopen: %s", strerror(errno));
	it_create(&t, late_writer, NULL);
	it_check(fgets(line, sizeof line, in) != NULL, "fgets: EOF or error");
	it_join(t);
	expect_traps(t0, "fgets");
	printf("read line: %s", line);
	fclose(in);
	return IT_PASS;
}

static long inline_read(int fd, void *buf, size_t n)
{
#if defined(__x86_64__)
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "0"((long)SYS_read), "D"(fd), "S"(buf), "d"(n)
	                 : "rcx", "r11", "memory");
	return r;
#else
	return syscall(SYS_read, fd, buf, n);
#endif
}

static int case_syscall_read(void)
{
	char buf[8] = "";
	pthread_t t;
	it_sys(pipe(fds));
	it_create(&t, late_writer, NULL);
	it_check(syscall(SYS_read, fds[0], buf, 6) == 6, "syscall(SYS_read): %s", strerror(errno));
	it_join(t);
	printf("syscall(SYS_read): %.6s", buf);
	/* Outside libc: never trapped; the blocked-holder detection gives its P away. */
	it_create(&t, late_writer, "world\n");
	it_check(inline_read(fds[0], buf, 6) == 6, "inline syscall read failed");
	it_join(t);
	printf("inline syscall read: %.6s", buf);
	return IT_PASS;
}

static mtx_t c11_mtx;
static cnd_t c11_cnd;
static int c11_ready;

static int c11_signaller(void *arg)
{
	(void)arg;
	it_burn_cpu(0.05);
	mtx_lock(&c11_mtx);
	c11_ready = 1;
	cnd_signal(&c11_cnd);
	mtx_unlock(&c11_mtx);
	return 0;
}

static int case_c11_cond(void)
{
	thrd_t t;
	uint64_t t0 = traps();
	it_check(mtx_init(&c11_mtx, mtx_plain) == thrd_success && cnd_init(&c11_cnd) == thrd_success,
	         "C11 init");
	it_check(thrd_create(&t, c11_signaller, NULL) == thrd_success, "thrd_create");
	mtx_lock(&c11_mtx);
	while (!c11_ready)
		cnd_wait(&c11_cnd, &c11_mtx);
	mtx_unlock(&c11_mtx);
	thrd_join(t, NULL);
	expect_traps(t0, "cnd_wait");
	printf("c11 condition signalled\n");
	return IT_PASS;
}

static void *malloc_worker(void *arg)
{
	void *keep[64] = { 0 };
	unsigned seed = (unsigned)(uintptr_t)arg;
	for (int i = 0; i < 200000; i++) {
		int k = (int)(rand_r(&seed) % 64);
		free(keep[k]);
		keep[k] = malloc(16 + rand_r(&seed) % 4096);
		it_check(keep[k] != NULL, "malloc");
	}
	for (int k = 0; k < 64; k++)
		free(keep[k]);
	return NULL;
}

static int case_malloc(void)
{
	pthread_t t[4];
	mallopt(M_ARENA_MAX, 1);   /* every thread on one arena: its lock is contended */
	for (int i = 0; i < 4; i++)
		it_create(&t[i], malloc_worker, (void *)(uintptr_t)(i + 1));
	for (int i = 0; i < 4; i++)
		it_join(t[i]);
	printf("4 threads x 200000 malloc/free on one arena\n");
	return IT_PASS;
}

static int run_child(char *const argv[])
{
	int st;
	pid_t pid = fork();
	it_check(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	it_check(waitpid(pid, &st, 0) == pid, "waitpid: %s", strerror(errno));
	it_check(!WIFSIGNALED(st), "%s killed by signal %d", argv[0], WTERMSIG(st));
	return WEXITSTATUS(st);
}

static int case_exec(const char *static_child)
{
	char line[32];
	bool have_static = static_child && access(static_child, X_OK) == 0;
	bool have_python = access("/usr/bin/python3", X_OK) == 0;
	for (int i = 0; i < 50; i++) {
		it_check(run_child((char *[]){ "/bin/true", NULL }) == 0, "/bin/true");
		it_check(run_child((char *[]){ "/bin/sh", "-c", "read x </dev/null; exit 3", NULL }) == 3, "sh");
		if (have_static)
			it_check(run_child((char *[]){ (char *)static_child, NULL }) == 0, "static child");
		int st = system("echo x >/dev/null; exit 7");
		it_check(WIFEXITED(st) && WEXITSTATUS(st) == 7, "system: status %#x", st);
		FILE *p = popen("echo popen", "r");
		it_check(p && fgets(line, sizeof line, p), "popen");
		it_check(pclose(p) == 0, "pclose");
		/* A failed exec: posix_spawn's parent reaps the child with
		 * every signal blocked. */
		pid_t pid;
		char *argv[] = { "nonexistent", NULL };
		it_check(posix_spawn(&pid, "/nonexistent", NULL, NULL, argv, environ) == ENOENT,
		         "posix_spawn(/nonexistent) did not fail with ENOENT");
	}
	printf("50 x /bin/true, sh, system, popen%s: all exited normally\n",
	       have_static ? ", static child" : "");
	if (!have_static)
		fprintf(stderr, "catch_all exec: no static child built: that part skipped\n");
	if (have_python) {
		pid_t pid;
		int st;
		char *argv[] = { "python3", "-c",
		                 "import subprocess\n"
		                 "for i in range(50):\n"
		                 "    assert subprocess.run(['true']).returncode == 0\n"
		                 "    assert subprocess.run(['sh', '-c', 'exit 4']).returncode == 4\n",
		                 NULL };
		it_pt(posix_spawn(&pid, "/usr/bin/python3", NULL, NULL, argv, environ));
		it_check(waitpid(pid, &st, 0) == pid, "waitpid python3");
		it_check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "python3 subprocess: status %#x", st);
		printf("python3: 50 x subprocess.run: all exited normally\n");
	} else {
		fprintf(stderr, "catch_all exec: no python3: that part skipped\n");
	}
	return IT_PASS;
}

static void *blocked_reader(void *arg)
{
	sigset_t all;
	char line[32];
	(void)arg;
	sigfillset(&all);
	it_pt(pthread_sigmask(SIG_BLOCK, &all, NULL));
	FILE *in = fdopen(fds[0], "r");
	it_check(in && fgets(line, sizeof line, in), "fgets with every signal blocked");
	printf("read with every signal blocked: %s", line);
	fclose(in);
	return NULL;
}

static int case_sigblock_read(void)
{
	pthread_t r, w;
	it_sys(pipe(fds));
	it_create(&r, blocked_reader, NULL);
	it_create(&w, late_writer, NULL);
	it_join(w);
	it_join(r);
	return IT_PASS;
}

static volatile sig_atomic_t alarms;
static int devnull;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
	/* write() inside a handler, while this thread waits in a trapped
	 * read: a trap inside our SIGSYS handler (SA_NODEFER). */
	if (write(devnull, "x", 1) != 1)
		abort();
}

static void set_alarm_handler(int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sa.sa_flags = flags;
	sigfillset(&sa.sa_mask);   /* SIGSYS must stay out of it */
	it_sys(sigaction(SIGALRM, &sa, NULL));
}

static void *slow_writer(void *arg)
{
	(void)arg;
	it_sleep_ms(150);
	it_sys(write(fds[1], "late!\n", 6));
	return NULL;
}

static int case_handler_write(void)
{
	char line[32];
	pthread_t w;
	struct itimerval every5ms = { { 0, 5000 }, { 0, 5000 } }, off = { { 0, 0 }, { 0, 0 } };
	sigset_t alrm;
	it_sys(devnull = open("/dev/null", O_WRONLY));
	it_sys(pipe(fds));
	/* The timer's signal is for this thread only. */
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	set_alarm_handler(SA_RESTART);
	it_pt(pthread_sigmask(SIG_BLOCK, &alrm, NULL));
	it_create(&w, slow_writer, NULL);
	it_pt(pthread_sigmask(SIG_UNBLOCK, &alrm, NULL));
	FILE *in = fdopen(fds[0], "r");
	it_check(in != NULL, "fdopen");
	it_sys(setitimer(ITIMER_REAL, &every5ms, NULL));
	it_check(fgets(line, sizeof line, in) != NULL, "fgets under SA_RESTART alarms: %s", strerror(errno));
	it_sys(setitimer(ITIMER_REAL, &off, NULL));
	it_join(w);
	it_check(alarms >= 5, "only %d alarms", (int)alarms);
	printf("SA_RESTART: read %s", line);
	/* Without SA_RESTART the read fails with EINTR, as in the plain call. */
	set_alarm_handler(0);
	struct itimerval once = { { 0, 0 }, { 0, 20000 } };
	it_sys(setitimer(ITIMER_REAL, &once, NULL));
	errno = 0;
	char *got = fgets(line, sizeof line, in);
	it_check(got == NULL && errno == EINTR, "fgets without SA_RESTART: %s, errno %d",
	         got ? "a line" : "NULL", errno);
	printf("no SA_RESTART: EINTR\n");
	return IT_PASS;
}

static void *forever_reader(void *arg)
{
	char line[32];
	FILE *in = arg;
	fgets(line, sizeof line, in);   /* nothing ever comes */
	return NULL;
}

static int case_cancel_read(void)
{
	pthread_t t;
	void *ret;
#if defined(__SANITIZE_ADDRESS__)
	/* ASan's own check fails on this even without the library (its
	 * sigaltstack interceptor, in the thread's teardown after the cancel). */
	fprintf(stderr, "catch_all cancel_read: skipped under AddressSanitizer\n");
	return IT_SKIP;
#endif
	it_sys(pipe(fds));
	FILE *in = fdopen(fds[0], "r");
	it_check(in != NULL, "fdopen");
	for (int i = 0; i < 20; i++) {
		it_create(&t, forever_reader, in);
		it_sleep_ms(10);
		it_pt(pthread_cancel(t));
		it_pt(pthread_join(t, &ret));
		it_check(ret == PTHREAD_CANCELED, "not cancelled");
	}
	/* The cancelled brackets were closed: the P is usable. */
	it_burn_cpu(0.02);
	printf("20 threads cancelled inside a trapped read\n");
	return IT_PASS;
}

static volatile sig_atomic_t usr1s;

static void on_usr1(int sig)
{
	(void)sig;
	it_sleep_ms(1);   /* traps: SIGSYS must not be in the call's mask */
	usr1s++;
}

static void *send_usr1(void *arg)
{
	it_sleep_ms(30);
	it_pt(pthread_kill(*(pthread_t *)arg, SIGUSR1));
	return NULL;
}

static int case_suspend_mask(void)
{
	struct sigaction sa;
	sigset_t all_but_usr1, usr1;
	pthread_t self = pthread_self(), t;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	it_sys(sigaction(SIGUSR1, &sa, NULL));
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	it_pt(pthread_sigmask(SIG_BLOCK, &usr1, NULL));
	sigfillset(&all_but_usr1);
	sigdelset(&all_but_usr1, SIGUSR1);
	it_create(&t, send_usr1, &self);
	it_check(sigsuspend(&all_but_usr1) == -1 && errno == EINTR, "sigsuspend");
	it_join(t);
	it_create(&t, send_usr1, &self);
	struct timespec ten_s = { 10, 0 };
	it_check(ppoll(NULL, 0, &ten_s, &all_but_usr1) == -1 && errno == EINTR, "ppoll");
	it_join(t);
	it_check(usr1s == 2, "%d handlers ran", (int)usr1s);
	printf("sigsuspend and ppoll: the handler slept under their masks\n");
	return IT_PASS;
}

static void *compute_100ms(void *arg)
{
	(void)arg;
	it_burn_cpu(0.1);
	return NULL;
}

static int case_getaddrinfo(void)
{
	struct addrinfo hints, *res;
	char text[64];
	pthread_t t;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	it_create(&t, compute_100ms, NULL);
	int r = getaddrinfo("slow.test", "80", &hints, &res);
	it_check(r == 0, "getaddrinfo: %s", gai_strerror(r));
	it_join(t);
	inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, text, sizeof text);
	printf("slow.test: %s\n", text);
	freeaddrinfo(res);
	return IT_PASS;
}

static atomic_int ticks;

static void on_tick(union sigval v)
{
	(void)v;
	it_sleep_ms(1);   /* nanosleep: libc's clock_nanosleep under it traps (nested) */
	fputs("", stdout);
	if (write(devnull, "t", 1) != 1)
		abort();
	atomic_fetch_add(&ticks, 1);
}

static int case_timer_thread(void)
{
	timer_t t;
	struct sigevent ev;
	struct itimerspec every5ms = { { 0, 5000000 }, { 0, 5000000 } };
	it_sys(devnull = open("/dev/null", O_WRONLY));
	memset(&ev, 0, sizeof ev);
	ev.sigev_notify = SIGEV_THREAD;
	ev.sigev_notify_function = on_tick;
	it_sys(timer_create(CLOCK_MONOTONIC, &ev, &t));
	it_sys(timer_settime(t, 0, &every5ms, NULL));
	while (atomic_load(&ticks) < 10)
		it_sleep_ms(5);
	it_sys(timer_delete(t));
	printf("10 timer-thread ticks slept and wrote\n");
	return IT_PASS;
}

int main(int argc, char **argv)
{
	it_check_mode();
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *c = argc > 1 ? argv[1] : "";
	if (!strcmp(c, "fgets"))
		return case_fgets();
	if (!strcmp(c, "syscall_read"))
		return case_syscall_read();
	if (!strcmp(c, "c11_cond"))
		return case_c11_cond();
	if (!strcmp(c, "malloc"))
		return case_malloc();
	if (!strcmp(c, "exec"))
		return case_exec(argc > 2 ? argv[2] : NULL);
	if (!strcmp(c, "sigblock_read"))
		return case_sigblock_read();
	if (!strcmp(c, "handler_write"))
		return case_handler_write();
	if (!strcmp(c, "cancel_read"))
		return case_cancel_read();
	if (!strcmp(c, "suspend_mask"))
		return case_suspend_mask();
	if (!strcmp(c, "getaddrinfo"))
		return case_getaddrinfo();
	if (!strcmp(c, "timer_thread"))
		return case_timer_thread();
	it_fail("unknown case '%s'", c);
}

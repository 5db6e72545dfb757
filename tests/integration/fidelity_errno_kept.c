/* fidelity_errno_kept: calls that succeed leave errno exactly as they found it, with and without the library. */
#include <fcntl.h>
#include <poll.h>
#include <semaphore.h>
#include <unistd.h>
#include "itest.h"

#define MARK 4242

/* Sets errno to MARK, runs the call and prints what errno is afterwards. */
#define KEPT(what, expr)                                                    \
	do {                                                                \
		long kept_ret_;                                             \
		errno = MARK;                                               \
		kept_ret_ = (long)(expr);                                   \
		printf("%-40s ret=%ld errno=%d\n", what, kept_ret_, errno); \
	} while (0)

/* The worker's errno after each of its calls, printed by main after the
 * join so the lines come out in one order. */
#define KEPT_IN_WORKER(i, expr)                                             \
	do {                                                                \
		errno = MARK;                                               \
		worker_ret[i] = (expr);                                     \
		worker_errno[i] = errno;                                    \
	} while (0)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static const char *const worker_calls[] = {
	"thread: pthread_mutex_lock", "thread: pthread_cond_signal",
	"thread: pthread_mutex_unlock",
};
static int worker_ret[3], worker_errno[3];

static void *worker(void *arg)
{
	KEPT_IN_WORKER(0, pthread_mutex_lock(&lock));
	KEPT_IN_WORKER(1, pthread_cond_signal(&cond));
	KEPT_IN_WORKER(2, pthread_mutex_unlock(&lock));
	return arg;
}

int main(void)
{
	struct timespec short_ts = { 0, 1000000 };
	struct pollfd pfd;
	int devnull, fds[2];
	pthread_t t;
	sem_t sem;
	char c;

	it_check_mode();
	devnull = (int)it_sys(open("/dev/null", O_RDWR));
	it_sys(pipe(fds));
	KEPT("write(/dev/null)", write(devnull, "x", 1));
	KEPT("read(/dev/null)", read(devnull, &c, 1));
	KEPT("write(pipe)", write(fds[1], "x", 1));
	pfd = (struct pollfd){ .fd = fds[0], .events = POLLIN };
	KEPT("poll(ready pipe, -1)", poll(&pfd, 1, -1));
	KEPT("read(pipe)", read(fds[0], &c, 1));
	KEPT("poll(empty pipe, 0)", poll(&pfd, 1, 0));
	KEPT("nanosleep(1 ms)", nanosleep(&short_ts, NULL));
	KEPT("usleep(1000)", usleep(1000));
	it_sys(sem_init(&sem, 0, 1));
	KEPT("sem_wait(1)", sem_wait(&sem));
	KEPT("sem_post", sem_post(&sem));
	KEPT("pthread_mutex_lock", pthread_mutex_lock(&lock));
	it_create(&t, worker, NULL);
	KEPT("pthread_cond_wait", pthread_cond_wait(&cond, &lock));
	KEPT("pthread_mutex_unlock", pthread_mutex_unlock(&lock));
	KEPT("pthread_join", pthread_join(t, NULL));
	for (int i = 0; i < 3; i++)
		printf("%-40s ret=%d errno=%d\n", worker_calls[i], worker_ret[i],
		       worker_errno[i]);
	KEPT("close(pipe)", close(fds[0]));
	return IT_PASS;
}

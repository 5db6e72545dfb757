/*
 * exec.c - the exec family and posix_spawn.  Only catch-all mode acts
 * here: its seccomp filter survives exec and is inert in the new image
 * only because libc lands at another address there, so a program that
 * turned address randomisation off for itself (personality
 * ADDR_NO_RANDOMIZE, as setarch -R does) gets it back for the image it
 * starts (catchall.c, mp_catchall_before_exec).  Mode off: one flag test,
 * then libc's function.
 *
 * glibc's execl* and execvp* reach the kernel through internal calls, not
 * these symbols, so each is wrapped.  execl* collect their arguments as
 * glibc does (up to the NULL; execle's envp after it) and call execve /
 * execvp.  system() and popen() use posix_spawn internally: not reached.
 */
#include "preload/real.h"
#include "preload/wrap.h"
#include "preload/catchall.h"

#include <limits.h>
#include <stdarg.h>

MP_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	mp_catchall_before_exec();
	return mp_real_execve()(path, argv, envp);
}

MP_EXPORT int execv(const char *path, char *const argv[])
{
	mp_catchall_before_exec();
	return mp_real_execv()(path, argv);
}

MP_EXPORT int execvp(const char *file, char *const argv[])
{
	mp_catchall_before_exec();
	return mp_real_execvp()(file, argv);
}

MP_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	mp_catchall_before_exec();
	return mp_real_execvpe()(file, argv, envp);
}

MP_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	mp_catchall_before_exec();
	return mp_real_fexecve()(fd, argv, envp);
}

/* The arguments after arg up to the NULL, counted first (glibc: E2BIG
 * beyond INT_MAX), then copied onto the stack. */
#define MP_EXECL_ARGV(arg, argv, after)                                     \
	size_t n_ = 1;                                                      \
	va_list ap_;                                                        \
	va_start(ap_, arg);                                                 \
	while (va_arg(ap_, const char *) != NULL)                           \
		n_++;                                                       \
	va_end(ap_);                                                        \
	if (n_ >= INT_MAX) {                                                \
		errno = E2BIG;                                              \
		return -1;                                                  \
	}                                                                   \
	char *argv[n_ + 1];                                                 \
	argv[0] = (char *)arg;                                              \
	va_start(ap_, arg);                                                 \
	for (size_t i_ = 1; i_ <= n_; i_++)                                 \
		argv[i_] = va_arg(ap_, char *);                             \
	after;                                                              \
	va_end(ap_)

MP_EXPORT int execl(const char *path, const char *arg, ...)
{
	MP_EXECL_ARGV(arg, argv, (void)0);
	return execv(path, argv);
}

MP_EXPORT int execlp(const char *file, const char *arg, ...)
{
	MP_EXECL_ARGV(arg, argv, (void)0);
	return execvp(file, argv);
}

MP_EXPORT int execle(const char *path, const char *arg, ...)
{
	char **envp;
	MP_EXECL_ARGV(arg, argv, envp = va_arg(ap_, char **));
	return execve(path, argv, envp);
}

MP_EXPORT int posix_spawn(pid_t *restrict pid, const char *restrict path,
                          const posix_spawn_file_actions_t *restrict fa,
                          const posix_spawnattr_t *restrict attr, char *const argv[restrict],
                          char *const envp[restrict])
{
	mp_catchall_before_exec();
	return mp_real_posix_spawn()(pid, path, fa, attr, argv, envp);
}

MP_EXPORT int posix_spawnp(pid_t *restrict pid, const char *restrict file,
                           const posix_spawn_file_actions_t *restrict fa,
                           const posix_spawnattr_t *restrict attr, char *const argv[restrict],
                           char *const envp[restrict])
{
	mp_catchall_before_exec();
	return mp_real_posix_spawnp()(pid, file, fa, attr, argv, envp);
}

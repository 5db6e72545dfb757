/*
 * libc.h - the system headers that declare every function in calls.def,
 * included first by each preload source.
 *
 * _FORTIFY_SOURCE is switched off: under it glibc defines read, recv, poll,
 * open... as inline wrappers, and we define those very names.  The fortified
 * entry points (__read_chk...) are rows of the table instead.
 *
 * _FILE_OFFSET_BITS (meson sets 64) and _TIME_BITS are switched off too:
 * they make the headers rename open to open64, pread to pread64 and so on
 * (asm labels), so our open would define the symbol open64.  Every name is
 * its own row and its own export.
 */
#ifndef MAXPROCS_PRELOAD_LIBC_H
#define MAXPROCS_PRELOAD_LIBC_H

#undef _FORTIFY_SOURCE
#undef _FILE_OFFSET_BITS
#undef _TIME_BITS

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/msg.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/sem.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#endif

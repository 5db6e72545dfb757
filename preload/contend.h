/*
 * contend.h - what a contended lock does before it waits (contend.c):
 * spin while its owner runs on a P, or have the wait hand our P to an
 * owner that waits for one.  Each returns true if the lock was taken
 * meanwhile (*r: the trylock's result), false if the caller must wait.
 */
#ifndef MAXPROCS_PRELOAD_CONTEND_H
#define MAXPROCS_PRELOAD_CONTEND_H

#include <pthread.h>
#include <stdbool.h>

bool mp_contended_mutex(pthread_mutex_t *m, int *r) __attribute__((cold));
bool mp_contended_rwlock(pthread_rwlock_t *l, bool write, int *r) __attribute__((cold));

#endif

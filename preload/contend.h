/*
 * contend.h - what a contended lock does before it waits (contend.c):
 * spin while its owner runs on a P, and give our P away and queue again
 * when the owner is parked or outlasts the spin.  Each returns true if
 * the lock was taken meanwhile (*r: the trylock's result), false if the
 * caller must wait.
 */
#ifndef MAXPROCS_PRELOAD_CONTEND_H
#define MAXPROCS_PRELOAD_CONTEND_H

#include <pthread.h>
#include <stdbool.h>

/* Turns in the queue per lock call before it waits in the lock as
 * before.  For a short critical section one or two find the lock free;
 * the bound is met only by an owner that keeps the lock for long, whose
 * waiters then sleep in the lock.  A turn can last a slice (at -p 1 with
 * a computing owner), so a timed lock takes two at most: its timeout
 * comes at most two slices late. */
#define MP_LOCK_TURNS 16
#define MP_LOCK_TURNS_TIMED 2

bool mp_contended_mutex(pthread_mutex_t *m, int *r, int max_turns) __attribute__((cold));
bool mp_contended_rwlock(pthread_rwlock_t *l, bool write, int *r, int max_turns) __attribute__((cold));

#endif

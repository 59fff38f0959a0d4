// SPDX-License-Identifier: GPL-2.0
/*
 * mutex - a robust, process-shared pthread mutex in a shmdev region
 *
 * Several processes add to a counter in a named region, each under a
 * pthread mutex that lives in the region too. One more process takes the
 * lock, starts an update (counter moved, its copy not yet) and is killed
 * with SIGKILL while it holds the lock. Because the mutex is robust, the
 * next process to lock it gets EOWNERDEAD instead of waiting forever: it
 * repairs the half-done update, marks the mutex consistent with
 * pthread_mutex_consistent() and goes on. It shows:
 *
 * - a mutex shared between processes: PTHREAD_PROCESS_SHARED, in memory
 *   every process maps (a MAP_SHARED mapping of the region);
 * - PTHREAD_MUTEX_ROBUST, EOWNERDEAD and pthread_mutex_consistent();
 *   without the latter, unlocking leaves the mutex unusable for good
 *   (ENOTRECOVERABLE);
 * - initialising the mutex exactly once: only the process that created
 *   the region (SHMDEV_OPEN_EXCL tells it) calls pthread_mutex_init().
 *
 * Build outside the tree:
 *   cc -pthread -o mutex mutex.c $(pkg-config --cflags --libs shmdev)
 * Usage:
 *   mutex [-p PROCESSES] [-i INCREMENTS] [NAME]
 * Defaults: 4 processes, 2000 increments each, region "mutex-example"
 * (created, so it must not exist; removed when the last process exits).
 * Exit status 0 when the final count is exactly PROCESSES * INCREMENTS
 * (the killed holder's update undone) and exactly one owner death was
 * seen and repaired.
 */

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libshmdev.h>

struct shared {
	pthread_mutex_t lock;
	/* Under lock: count, then copy = count; equal between updates. */
	uint64_t count;
	uint64_t copy;
	uint32_t repaired;		/* owner deaths seen, under lock */
	_Atomic uint32_t held;		/* the victim holds the lock */
};

/*
 * Locks, repairing what a dead holder left: 0 or an errno. Gives up after
 * 10 s (ETIMEDOUT), so that a bug makes the program fail, not hang.
 */
static int lock(struct shared *sh)
{
	struct timespec deadline;
	int err;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 10;
	err = pthread_mutex_timedlock(&sh->lock, &deadline);

	if (err != EOWNERDEAD)
		return err;
	/* We hold the lock; the data may be half updated: undo that. */
	sh->count = sh->copy;
	sh->repaired++;
	return pthread_mutex_consistent(&sh->lock);
}

static int worker(struct shared *sh, unsigned int increments)
{
	for (unsigned int i = 0; i < increments; i++) {
		int err = lock(sh);

		if (err) {
			fprintf(stderr, "mutex: worker %d: lock: %s\n", getpid(), strerror(err));
			return 1;
		}
		sh->count++;
		sh->copy = sh->count;
		pthread_mutex_unlock(&sh->lock);
	}
	return 0;
}

/* Takes the lock, starts an update, says so, and waits to be killed. */
static void victim(struct shmdev *dev, struct shared *sh)
{
	if (lock(sh))
		_exit(1);
	sh->count += 1000;		/* half an update: copy not moved */
	atomic_store(&sh->held, 1);
	shmdev_notify(dev, NULL);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	const char *name = "mutex-example";
	unsigned int procs = 4, increments = 2000, bad = 0;
	pthread_mutexattr_t attr;
	struct shmdev dev;
	struct shared *sh;
	pid_t pids[64], vpid;
	int opt, err, status;

	while ((opt = getopt(argc, argv, "p:i:")) != -1) {
		if (opt == 'p')
			procs = strtoul(optarg, NULL, 10);
		else if (opt == 'i')
			increments = strtoul(optarg, NULL, 10);
		else
			procs = 0;
	}
	if (optind < argc)
		name = argv[optind++];
	if (!procs || procs > 64 || optind < argc) {
		fprintf(stderr, "Usage: mutex [-p PROCESSES (1-64)] [-i INCREMENTS] [NAME]\n");
		return 2;
	}

	/* EXCL: this process created it, so it is the one to initialise. */
	err = shmdev_open_name(&dev, name, SHMDEV_OPEN_CREATE | SHMDEV_OPEN_EXCL |
			       SHMDEV_OPEN_AUTOREMOVE, sizeof(*sh), 0600);
	if (!err)
		err = shmdev_map(&dev, sizeof(*sh), PROT_READ | PROT_WRITE, (void **)&sh);
	if (err) {
		fprintf(stderr, "mutex: %s: %s\n", name, strerror(-err));
		return 1;
	}
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	err = pthread_mutex_init(&sh->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	if (err) {
		fprintf(stderr, "mutex: pthread_mutex_init: %s\n", strerror(err));
		return 1;
	}

	/* The victim first: the workers then queue up behind its lock. */
	vpid = fork();
	if (vpid == 0)
		victim(&dev, sh);
	for (;;) {
		uint64_t seq = shmdev_seq(&dev);

		if (vpid < 0 || atomic_load(&sh->held))
			break;
		err = shmdev_wait(&dev, &seq, 10 * 1000000000LL);
		if (err && err != -EINTR) {
			fprintf(stderr, "mutex: the victim never took the lock: %s\n",
				strerror(-err));
			kill(vpid, SIGKILL);
			return 1;
		}
	}
	for (unsigned int p = 0; p < procs; p++) {
		pids[p] = fork();
		if (pids[p] == 0)
			exit(worker(sh, increments));
		if (pids[p] < 0)
			bad++;
	}
	/* Killed holding the lock: the kernel marks it owner-dead. */
	kill(vpid, SIGKILL);
	waitpid(vpid, NULL, 0);
	for (unsigned int p = 0; p < procs; p++) {
		if (pids[p] > 0 && (waitpid(pids[p], &status, 0) != pids[p] ||
				    !WIFEXITED(status) || WEXITSTATUS(status)))
			bad++;
	}

	printf("count %llu (expected %llu), owner deaths repaired: %u\n",
	       (unsigned long long)sh->count,
	       (unsigned long long)procs * increments, sh->repaired);
	if (bad || sh->count != (uint64_t)procs * increments || sh->copy != sh->count ||
	    sh->repaired != 1) {
		fprintf(stderr, "mutex: %u process(es) failed, or the count is wrong\n", bad);
		return 1;
	}
	shmdev_close(&dev);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Process-shared synchronisation inside the region: pthread mutexes,
 * POSIX semaphores and raw futexes, contended by processes that each open
 * and map the device on their own. Shared futex keys come from the page's
 * mapping and index: a page without a mapping fails these with EFAULT.
 */

#include <linux/futex.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "shmdev_util.h"

#include "../../kselftest_harness.h"

#define NPROC	4
#define ROUNDS	100000

struct shared {
	pthread_mutex_t mutex;
	sem_t sem;
	unsigned long counter;
	_Atomic unsigned int futex_word;
};

FIXTURE(sync) {
	int fd;
	long psz;
	struct shared *sh;
};

FIXTURE_SETUP(sync)
{
	self->psz = page_size();
	self->fd = shmdev_open(O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, shmdev_reset(self->fd, self->psz));
	self->sh = mmap(NULL, self->psz, PROT_READ | PROT_WRITE, MAP_SHARED,
			self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->sh);
}

FIXTURE_TEARDOWN(sync)
{
	munmap(self->sh, self->psz);
	close(self->fd);
}

static long futex(_Atomic unsigned int *uaddr, int op, unsigned int val)
{
	return syscall(SYS_futex, uaddr, op, val, NULL, NULL, 0);
}

/*
 * A child's own mapping of the region: nothing inherited from the parent.
 * glibc's locks retry a futex call that fails, so a page whose shared
 * futex key cannot be built (EFAULT) would turn them into spinning locks
 * that still count right; a FUTEX_WAIT on a value the word does not hold
 * shows the key instead: EAGAIN once the key is built, EFAULT if not.
 */
static struct shared *child_map(long psz)
{
	int fd = shmdev_open(O_RDWR);
	struct shared *sh;

	if (fd < 0)
		_exit(20);
	sh = mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (sh == MAP_FAILED)
		_exit(21);
	close(fd);
	if (futex(&sh->futex_word, FUTEX_WAIT, atomic_load(&sh->futex_word) + 1) != -1 ||
	    errno != EAGAIN)
		_exit(22);
	return sh;
}

TEST_F(sync, pthread_mutex)
{
	pthread_mutexattr_t attr;
	pid_t pids[NPROC];

	ASSERT_EQ(0, pthread_mutexattr_init(&attr));
	ASSERT_EQ(0, pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED));
	ASSERT_EQ(0, pthread_mutex_init(&self->sh->mutex, &attr));
	self->sh->counter = 0;
	munmap(self->sh, self->psz);
	self->sh = MAP_FAILED;

	for (int n = 0; n < NPROC; n++) {
		pids[n] = fork();
		ASSERT_LE(0, pids[n]);
		if (pids[n] == 0) {
			struct shared *sh = child_map(self->psz);

			for (int i = 0; i < ROUNDS; i++) {
				if (pthread_mutex_lock(&sh->mutex))
					_exit(10);
				/* Not atomic: a broken lock loses increments. */
				sh->counter = sh->counter + 1;
				if (pthread_mutex_unlock(&sh->mutex))
					_exit(11);
			}
			_exit(0);
		}
	}
	for (int n = 0; n < NPROC; n++)
		EXPECT_TRUE(child_ok(pids[n]));

	self->sh = mmap(NULL, self->psz, PROT_READ | PROT_WRITE, MAP_SHARED,
			self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->sh);
	EXPECT_EQ((unsigned long)NPROC * ROUNDS, self->sh->counter);
}

TEST_F(sync, semaphore)
{
	pid_t pids[NPROC];

	ASSERT_EQ(0, sem_init(&self->sh->sem, 1, 1));
	self->sh->counter = 0;

	for (int n = 0; n < NPROC; n++) {
		pids[n] = fork();
		ASSERT_LE(0, pids[n]);
		if (pids[n] == 0) {
			struct shared *sh = child_map(self->psz);

			for (int i = 0; i < ROUNDS; i++) {
				while (sem_wait(&sh->sem))
					if (errno != EINTR)
						_exit(10);
				sh->counter = sh->counter + 1;
				if (sem_post(&sh->sem))
					_exit(11);
			}
			_exit(0);
		}
	}
	for (int n = 0; n < NPROC; n++)
		EXPECT_TRUE(child_ok(pids[n]));
	EXPECT_EQ((unsigned long)NPROC * ROUNDS, self->sh->counter);
	EXPECT_EQ(0, sem_destroy(&self->sh->sem));
}

/* A shared FUTEX_WAIT in one process is woken by FUTEX_WAKE in another. */
TEST_F(sync, futex_wake)
{
	long woken = 0;
	pid_t pid;

	self->sh->futex_word = 0;
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct shared *sh = child_map(self->psz);

		while (atomic_load(&sh->futex_word) == 0) {
			if (futex(&sh->futex_word, FUTEX_WAIT, 0) &&
			    errno != EAGAIN && errno != EINTR)
				_exit(10);
		}
		_exit(0);
	}
	/*
	 * The word stays 0 until a wake found the child asleep on it: a
	 * waiter woken early just waits again. Then release it for good.
	 */
	for (int i = 0; i < 10000 && woken == 0; i++) {
		usleep(1000);
		woken = futex(&self->sh->futex_word, FUTEX_WAKE, 1);
		if (woken < 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			ASSERT_LE(0, woken);
		}
	}
	atomic_store(&self->sh->futex_word, 1);
	ASSERT_LE(0, futex(&self->sh->futex_word, FUTEX_WAKE, 1));
	EXPECT_EQ(1, woken);
	EXPECT_TRUE(child_ok(pid));
}

SHMDEV_TEST_MAIN

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the shmdev selftests.
 */

#ifndef SHMDEV_UTIL_H
#define SHMDEV_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/shmdev.h>

#include "shmdev_common.h"

#define SHMDEV_PATH	"/dev/shmdev"
#define SHMDEV_MAX_SIZE_PATH "/sys/module/shmdev/parameters/max_size"

static inline long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

static inline int shmdev_open(int flags)
{
	return open(SHMDEV_PATH, flags | O_CLOEXEC);
}

static inline int shmdev_set_size(int fd, __u64 size)
{
	return ioctl(fd, SHMDEV_IOC_SET_SIZE, &size);
}

static inline __u64 shmdev_get_size(int fd)
{
	__u64 size = ~0ULL;

	if (ioctl(fd, SHMDEV_IOC_GET_SIZE, &size))
		return ~0ULL;
	return size;
}

static inline int shmdev_info(int fd, struct shmdev_info *info)
{
	/* Poison, so that a field the kernel forgot to write shows. */
	memset(info, 0xa5, sizeof(*info));
	return ioctl(fd, SHMDEV_IOC_GET_INFO, info);
}

static inline __u64 shmdev_max_size(void)
{
	unsigned long long v = 0;
	FILE *f = fopen(SHMDEV_MAX_SIZE_PATH, "r");

	if (!f)
		return 0;
	if (fscanf(f, "%llu", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

/* Empties the region, then gives it @size bytes. */
static inline int shmdev_reset(int fd, __u64 size)
{
	if (shmdev_set_size(fd, 0))
		return -1;
	return shmdev_set_size(fd, size);
}

/*
 * Touching memory that may raise SIGBUS: probe_read() and probe_write()
 * return false instead of dying when the access faults.
 */
static sigjmp_buf probe_env;

static inline void probe_handler(int sig)
{
	siglongjmp(probe_env, sig);
}

static inline void probe_install(void)
{
	struct sigaction sa = { .sa_handler = probe_handler };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
}

/* Returns 0 when it read @*out, else the signal number that stopped it. */
static inline int probe_read(const volatile char *p, char *out)
{
	int sig = sigsetjmp(probe_env, 1);

	if (sig)
		return sig;
	*out = *p;
	return 0;
}

/* memcpy() that returns the signal (SIGBUS) that stopped it, or 0. */
static inline int probe_copy(void *dst, const void *src, size_t len)
{
	int sig = sigsetjmp(probe_env, 1);

	if (sig)
		return sig;
	memcpy(dst, src, len);
	return 0;
}

static inline int probe_write(volatile char *p, char v)
{
	int sig = sigsetjmp(probe_env, 1);

	if (sig)
		return sig;
	*p = v;
	return 0;
}

/*
 * The first failure among the processes of a test, kept in memory they
 * share: later ones are not recorded, and every process can stop early
 * once @failed is set. The test reports @why.
 */
struct shared_failure {
	_Atomic int failed;
	char why[512];
};

static inline void record_failure(struct shared_failure *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static inline void record_failure(struct shared_failure *f, const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&f->failed, 1))
		return;
	va_start(ap, fmt);
	vsnprintf(f->why, sizeof(f->why), fmt, ap);
	va_end(ap);
	fprintf(stderr, "# FAIL (pid %d): %s\n", (int)getpid(), f->why);
}

/*
 * main() of every test program, after kselftest_harness.h: the whole
 * program is skipped (exit 4) when the device is absent.
 */
#define SHMDEV_TEST_MAIN						\
int main(int argc, char **argv)						\
{									\
	if (access(SHMDEV_PATH, F_OK))					\
		ksft_exit_skip("%s is absent: is the shmdev module loaded?\n", \
			       SHMDEV_PATH);				\
	return test_harness_run(argc, argv);				\
}

#endif /* SHMDEV_UTIL_H */

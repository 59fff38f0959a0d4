// SPDX-License-Identifier: GPL-2.0
/*
 * shmdev-fuzz - a fuzzer that knows shmdev's ioctls and mapping rules
 *
 * Threads share a few files of /dev/shmdev and throw at them, at random:
 * known and unknown ioctl numbers with argument bytes that are random,
 * half valid or NULL, unmapped, read-only or kernel pointers; mmap with
 * random offsets, lengths, protections and flags, then touches, mremap,
 * mprotect and madvise on the mappings; read/write/pread/pwrite/lseek at
 * random positions with good and bad buffers; resizes; notify and wait
 * with random timeouts; close, reopen, dup and fork.
 *
 * Seeded and bounded: it prints its seed, and --seed replays the same
 * sequence of choices in each thread (the interleaving of threads is the
 * scheduler's). Every call must fail, if it fails, with one of the errors
 * the API documents; anything else is reported and fails the run. The
 * kernel's own reports are judged by the VM runner.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/shmdev.h>

#define NFILES	4
#define NMAPS	8

static long psz;
static double deadline;
static _Atomic unsigned long calls, faults, unexpected;
static int files[NFILES];
static char *ro_page;		/* read-only, between two PROT_NONE pages */
static char *hole;		/* HOLE_SIZE bytes of PROT_NONE */

#define HOLE_SIZE	(1UL << 30)

struct thread {
	unsigned long rnd;
	struct { char *p; size_t len; } map[NMAPS];
	char buf[8192];
	struct shmdev_page_info pages[16];
};

static __thread sigjmp_buf probe_env;
static __thread volatile int probing;

static void on_fault(int sig)
{
	if (probing)
		siglongjmp(probe_env, sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

static unsigned long rnd(struct thread *t)
{
	t->rnd ^= t->rnd << 13;
	t->rnd ^= t->rnd >> 7;
	t->rnd ^= t->rnd << 17;
	return t->rnd;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* An error the API may return for fuzzed input; anything else is a bug. */
static void expect_errno(const char *what, long ret, const int *ok)
{
	calls++;
	if (ret >= 0)
		return;
	for (; *ok; ok++)
		if (errno == *ok)
			return;
	unexpected++;
	fprintf(stderr, "shmdev-fuzz: %s: unexpected %s\n", what, strerror(errno));
}

static const int ioctl_errs[] = { EINVAL, EFAULT, ENOTTY, EFBIG, EBADF,
				  ETIMEDOUT, EINTR, ENOMEM, 0 };
static const int mmap_errs[] = { EINVAL, EACCES, ENOMEM, EOVERFLOW, EPERM,
				 EEXIST, ENODEV, EBADF, 0 };
static const int vm_errs[] = { EINVAL, EFAULT, ENOMEM, EACCES, EAGAIN,
			       EPERM, EOPNOTSUPP, EBUSY, ENODEV, 0 };
/* ENXIO: SEEK_DATA/SEEK_HOLE at or beyond the size, as for a file. */
static const int io_errs[] = { EFAULT, ENOSPC, EINVAL, EBADF, EINTR, ENXIO, 0 };

/*
 * A pointer for an ioctl or I/O argument, good or bad. Bad ones point only
 * where nothing of ours lives, so that the kernel writing through them
 * cannot corrupt the fuzzer itself.
 */
static void *arg_ptr(struct thread *t, size_t need)
{
	size_t half = need / 2 < (size_t)psz ? need / 2 : (size_t)psz;

	switch (rnd(t) % 8) {
	case 0:
		return NULL;
	case 1:
		return hole + (rnd(t) % HOLE_SIZE);		/* unmapped */
	case 2:
		return (void *)-4096L;				/* kernel */
	case 3:
		return ro_page;					/* read-only */
	case 4:
		return ro_page + psz - half;			/* straddles */
	default:
		for (size_t i = 0; i < sizeof(t->buf); i += 8)
			*(unsigned long *)(t->buf + i) = rnd(t) % 4 ? 0 : rnd(t);
		return t->buf;
	}
}

static void fuzz_ioctl(struct thread *t, int fd)
{
	static const unsigned int known[] = {
		SHMDEV_IOC_SET_SIZE, SHMDEV_IOC_GET_SIZE, SHMDEV_IOC_NOTIFY,
		SHMDEV_IOC_WAIT, SHMDEV_IOC_GET_INFO, SHMDEV_IOC_PAGE_INFO,
	};
	unsigned int cmd;
	void *arg;

	switch (rnd(t) % 4) {
	case 0:
		cmd = rnd(t);
		break;
	case 1:	/* Our type, another number, size or direction. */
		cmd = _IOC(rnd(t) % 4, SHMDEV_IOC_MAGIC, rnd(t) % 16, rnd(t) % 256);
		break;
	default:
		cmd = known[rnd(t) % (sizeof(known) / sizeof(known[0]))];
		break;
	}
	arg = arg_ptr(t, 128);
	if (cmd == SHMDEV_IOC_WAIT && arg == t->buf) {
		struct shmdev_wait *w = arg;

		/* Never block for long: a notifier may not come. */
		w->timeout_ns = rnd(t) % 3 ? (long long)(rnd(t) % 1000000) : 0;
		if (rnd(t) % 4 == 0)
			w->flags = rnd(t);
	}
	if (cmd == SHMDEV_IOC_PAGE_INFO && arg == t->buf) {
		struct shmdev_page_query *q = arg;
		void *pages = t->pages;
		__u32 count = rnd(t) % 17;

		/*
		 * The kernel writes the array: ours, or a bad pointer (not
		 * t->buf, which arg_ptr() refills, so pick it first).
		 */
		if (rnd(t) % 4 == 0) {
			do
				pages = arg_ptr(t, 2 * sizeof(struct shmdev_page_info));
			while (pages == t->buf);
			count = rnd(t) % 3 ? rnd(t) % 64 : rnd(t);
		}
		q->pages = (uintptr_t)pages;
		q->count = count;
		q->index = rnd(t) % 4 ? rnd(t) % 80 : rnd(t);
		q->flags = rnd(t) % 8 ? 0 : rnd(t);
	}
	if (cmd == SHMDEV_IOC_SET_SIZE && arg == t->buf)
		*(__u64 *)arg = rnd(t) % 3 ? rnd(t) % (64 * psz) : rnd(t);
	expect_errno("ioctl", ioctl(fd, cmd, arg), ioctl_errs);
}

static void touch(struct thread *t, char *p, size_t len)
{
	int sig;

	probing = 1;
	sig = sigsetjmp(probe_env, 1);
	if (!sig) {
		size_t off = rnd(t) % len;

		if (rnd(t) & 1)
			((volatile char *)p)[off] = (char)rnd(t);
		else
			(void)((volatile char *)p)[off];
	} else {
		faults++;
	}
	probing = 0;
}

static void fuzz_map(struct thread *t, int fd)
{
	static const int advice[] = {
		MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED,
		MADV_DONTNEED, MADV_REMOVE, MADV_DONTFORK, MADV_DOFORK,
		MADV_HUGEPAGE, MADV_NOHUGEPAGE, MADV_COLD, MADV_PAGEOUT,
		22 /* MADV_POPULATE_READ */, 23 /* MADV_POPULATE_WRITE */,
	};
	int slot = rnd(t) % NMAPS;
	char *p = t->map[slot].p;
	size_t len = t->map[slot].len;

	if (!p) {
		size_t pages = 1 + rnd(t) % 64;
		off_t off = rnd(t) % 8 ? (off_t)(rnd(t) % 64) * psz : (off_t)(rnd(t) >> 1);
		int prot = rnd(t) % 4 ? PROT_READ | PROT_WRITE : (int)(rnd(t) % 8);
		int flags = rnd(t) % 8 ? MAP_SHARED : (rnd(t) & 1 ? MAP_PRIVATE : MAP_SHARED | MAP_POPULATE);

		if (rnd(t) % 16 == 0)
			pages = rnd(t) >> 40;
		p = mmap(NULL, pages * psz, prot, flags, fd, off);
		expect_errno("mmap", p == MAP_FAILED ? -1 : 0, mmap_errs);
		if (p != MAP_FAILED) {
			t->map[slot].p = p;
			t->map[slot].len = pages * psz;
		}
		return;
	}
	switch (rnd(t) % 6) {
	case 0:
		munmap(p, len);
		t->map[slot].p = NULL;
		break;
	case 1: {
		size_t nlen = (1 + rnd(t) % 64) * psz;
		char *q = mremap(p, len, nlen, rnd(t) & 1 ? MREMAP_MAYMOVE : 0);

		expect_errno("mremap", q == MAP_FAILED ? -1 : 0, vm_errs);
		if (q != MAP_FAILED) {
			t->map[slot].p = q;
			t->map[slot].len = nlen;
		}
		break;
	}
	case 2:
		expect_errno("mprotect", mprotect(p, len, rnd(t) % 8), vm_errs);
		break;
	case 3:
		expect_errno("madvise", madvise(p + (rnd(t) % (len / psz)) * psz, psz,
						advice[rnd(t) % 14]), vm_errs);
		break;
	default:
		for (int i = 0; i < 8; i++)
			touch(t, p, len);
		break;
	}
}

static void fuzz_io(struct thread *t, int fd)
{
	size_t len = rnd(t) % 3 ? rnd(t) % sizeof(t->buf) : rnd(t) % (1 << 20);
	off_t off = rnd(t) % 4 ? (off_t)(rnd(t) % (80 * psz)) : (off_t)(rnd(t) >> 1);
	void *buf = arg_ptr(t, len);

	if (buf == t->buf && len > sizeof(t->buf))
		len = sizeof(t->buf);
	switch (rnd(t) % 5) {
	case 0:
		expect_errno("pread", pread(fd, buf, len, off), io_errs);
		break;
	case 1:
		expect_errno("pwrite", pwrite(fd, buf, len, off), io_errs);
		break;
	case 2:
		expect_errno("read", read(fd, buf, len), io_errs);
		break;
	case 3:
		expect_errno("write", write(fd, buf, len), io_errs);
		break;
	default:
		expect_errno("lseek", lseek(fd, (off_t)rnd(t) - (off_t)(rnd(t) >> 1),
					    rnd(t) % 5), io_errs);
		break;
	}
}

static void *run(void *arg)
{
	struct thread *t = arg;

	while (now() < deadline) {
		int i = rnd(t) % NFILES, fd = files[i];
		unsigned long op = rnd(t) % 100;

		if (op < 35) {
			fuzz_ioctl(t, fd);
		} else if (op < 70) {
			fuzz_map(t, fd);
		} else if (op < 95) {
			fuzz_io(t, fd);
		} else if (op < 98) {
			/* Swap a shared file under the other threads' feet. */
			int nfd = open("/dev/shmdev", (rnd(t) & 1 ? O_RDONLY : O_RDWR) | O_CLOEXEC);

			if (nfd >= 0) {
				int old = atomic_exchange((_Atomic int *)&files[i], nfd);

				close(old);
			}
		} else {
			pid_t pid = fork();

			if (pid == 0) {
				for (int k = 0; k < 50; k++)
					fuzz_io(t, files[k % NFILES]);
				_exit(0);
			}
			if (pid > 0) {
				if (rnd(t) & 1)
					kill(pid, SIGKILL);
				waitpid(pid, NULL, 0);
			}
		}
	}
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: shmdev-fuzz [--seed N] [--seconds S] [--threads T]\n"
		"Fuzzes /dev/shmdev's ioctls, mappings and I/O; exit 1 on an error\n"
		"the API does not document. --seed replays a run's choices.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "seconds", required_argument, NULL, 't' },
		{ "threads", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	unsigned long seed = (unsigned long)time(NULL) ^ (unsigned long)getpid() << 16;
	int nthreads = 4, c;
	double seconds = 10;
	struct sigaction sa = { .sa_handler = on_fault };
	pthread_t th[16];
	struct thread *ts;
	__u64 zero = 0;

	while ((c = getopt_long(argc, argv, "s:t:n:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			seed = strtoul(optarg, NULL, 0);
			break;
		case 't':
			seconds = atof(optarg);
			break;
		case 'n':
			nthreads = atoi(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (nthreads < 1 || nthreads > 16 || seconds <= 0) {
		usage(stderr);
		return 2;
	}
	printf("shmdev-fuzz: seed %lu, %d threads, %.0f s (--seed %lu replays)\n",
	       seed, nthreads, seconds, seed);
	fflush(stdout);

	psz = sysconf(_SC_PAGESIZE);
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	ro_page = mmap(NULL, 3 * psz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	hole = mmap(NULL, HOLE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ro_page == MAP_FAILED || hole == MAP_FAILED)
		return 1;
	ro_page += psz;
	mprotect(ro_page, psz, PROT_READ);
	for (int i = 0; i < NFILES; i++) {
		files[i] = open("/dev/shmdev", O_RDWR | O_CLOEXEC);
		if (files[i] < 0) {
			perror("shmdev-fuzz: /dev/shmdev");
			return 1;
		}
	}
	ts = calloc(nthreads, sizeof(*ts));
	if (!ts)
		return 1;
	deadline = now() + seconds;
	for (int i = 0; i < nthreads; i++) {
		ts[i].rnd = seed * 0x9e3779b97f4a7c15UL + i + 1;
		pthread_create(&th[i], NULL, run, &ts[i]);
	}
	for (int i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);

	for (int i = 0; i < nthreads; i++)
		for (int m = 0; m < NMAPS; m++)
			if (ts[i].map[m].p)
				munmap(ts[i].map[m].p, ts[i].map[m].len);
	ioctl(files[0], SHMDEV_IOC_SET_SIZE, &zero);
	for (int i = 0; i < NFILES; i++)
		close(files[i]);
	printf("shmdev-fuzz: %lu calls, %lu faults caught, %lu unexpected errors\n",
	       (unsigned long)calls, (unsigned long)faults, (unsigned long)unexpected);
	return unexpected ? 1 : 0;
}

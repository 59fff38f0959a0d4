// SPDX-License-Identifier: GPL-2.0
/*
 * notify_bench - the shmdev wake-up channel against its alternatives
 *
 * Latency: round trips of a ping-pong between two processes over a word
 *   in shared memory, through libshmdev's shmdev_wait()/shmdev_notify()
 *   (the control page when the module has one, the ioctls otherwise),
 *   through SHMDEV_IOC_WAIT/NOTIFY called directly, a bare futex (a
 *   FUTEX_WAKE per pass) and a futex used as glibc's locks use it (a
 *   waiters flag in the word; FUTEX_WAKE only when it is set); and, with
 *   no shared word, an eventfd pair, a pipe pair and a unix socketpair.
 *   The two processes pinned to two vCPUs, both pinned to one, and free
 *   to run on either (libshmdev spins before sleeping only for a thread
 *   that may run on more than one CPU). With each round-trip time, how
 *   often the two processes slept (voluntary context switches) per 100
 *   round trips: 200 when each sleeps once a round trip.
 * A notify nobody waits for: ns per call of getppid(), of the NOTIFY
 *   ioctl and of shmdev_notify(), and the system calls that the last two
 *   make, counted under a seccomp filter.
 * Bulk: 4 KiB, 64 KiB and 1 MiB messages from a producer process to a
 *   consumer process on the other vCPU. Every path does the same work on
 *   the data: the producer stamps each message and copies it in, the
 *   consumer copies it out into its own buffer and reads every word of it
 *   there, which checks its number and contents (a lost or corrupted
 *   message fails the run). The paths: a ring in the shmdev region
 *   signalled with NOTIFY/WAIT (shmdev-ring), a pipe, a unix socket, and
 *   the ceiling of two copies: one process doing the same stamp, copy in,
 *   copy out and check through a buffer of the ring's size, with nothing
 *   to wait for (memcpy-x2). Besides, shmdev-ring-inplace is the ring with
 *   the consumer reading each message in place, with no copy out, which
 *   is what shared memory allows and a pipe does not.
 * Wake-all: time from one wake-up call until the last of N sleeping
 *   waiters runs, N = 1 to 256: one NOTIFY against one FUTEX_WAKE of all
 *   the waiters of a futex.
 *
 * Each round runs every case (one contender, one size or setting) once, in
 * an order drawn from a seeded generator and never the previous round's.
 * Every sample is printed as "@sample BENCH TEST KIND PARAM VALUE UNIT
 * ROUND POS" (see bench.h), then medians and the ratios to shmdev.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include <linux/shmdev.h>

#include "bench.h"
#include "lib/shmdev.h"

#define MAX_REPS	64
#define MAX_WAITERS	1024

static int shmdev_attach(size_t size, void **map)
{
	int fd = open("/dev/shmdev", O_RDWR | O_CLOEXEC);
	__u64 zero = 0, sz = size;

	if (fd < 0)
		bench_die("open /dev/shmdev");
	if (ioctl(fd, SHMDEV_IOC_SET_SIZE, &zero) || ioctl(fd, SHMDEV_IOC_SET_SIZE, &sz))
		bench_die("SHMDEV_IOC_SET_SIZE");
	/* Populated: a ring is set up once, its first-touch faults are not
	 * part of the transfer. */
	*map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
	if (*map == MAP_FAILED)
		bench_die("mmap /dev/shmdev");
	return fd;
}

static void dev_wait(int fd, __u64 *seq)
{
	struct shmdev_wait w = { .seq = *seq, .timeout_ns = -1 };

	if (ioctl(fd, SHMDEV_IOC_WAIT, &w) == 0)
		*seq = w.seq;
	else if (errno != EINTR)
		bench_die("SHMDEV_IOC_WAIT");
}

static void dev_notify(int fd, __u64 *seq)
{
	if (ioctl(fd, SHMDEV_IOC_NOTIFY, seq))
		bench_die("SHMDEV_IOC_NOTIFY");
}

/* ---- latency ---------------------------------------------------------- */

/*
 * shmdev: libshmdev's shmdev_wait()/shmdev_notify(), which use the control
 * page when the module has one (no system call for a notify nobody waits
 * for, or for a wait whose sequence already moved; a short spin before
 * sleeping when the thread may run on more than one CPU) and the ioctls
 * otherwise. shmdev-ioctl: SHMDEV_IOC_WAIT and SHMDEV_IOC_NOTIFY called
 * directly, every time. futex: FUTEX_WAIT on the value found, FUTEX_WAKE
 * after every pass. futex-glibc: a word and a waiters flag, as glibc's
 * locks do it (see pp_futex_await()).
 */
enum {
	PP_SHMDEV, PP_IOCTL, PP_FUTEX, PP_FUTEX_GLIBC, PP_EVENTFD, PP_PIPE, PP_SOCKET,
	NR_PP
};
static const char *const pp_name[NR_PP] = {
	"shmdev", "shmdev-ioctl", "futex", "futex-glibc", "eventfd", "pipe",
	"socketpair"
};

/*
 * Where the two processes run: pinned to vCPUs 0 and 1, both pinned to
 * vCPU 0, or both free to run on any vCPU, as unpinned programs do.
 */
enum { PL_TWO, PL_SAME, PL_ANY, NR_PL };
static const char *const pl_name[NR_PL] = { "two-cpus", "same-cpu", "any-cpu" };

struct pp {
	int kind;
	int fd;			/* shmdev, shmdev-ioctl */
	_Atomic __u64 *word;	/* shmdev counter or futex word */
	int a[2], b[2];		/* a: ping, b: pong (read end [0]) */
};

/* One process's side of a ping-pong. */
struct pp_side_state {
	struct shmdev dev;	/* shmdev: this process's own handle */
	uint64_t lseq;		/* shmdev: the sequence last seen */
	__u64 seq;		/* shmdev-ioctl: the same */
};

static void pp_setup(struct pp *pp, int kind)
{
	void *map;
	int mfd;

	memset(pp, 0, sizeof(*pp));
	pp->kind = kind;
	pp->fd = -1;
	switch (kind) {
	case PP_SHMDEV:
	case PP_IOCTL:
		pp->fd = shmdev_attach(4096, &map);
		pp->word = map;
		break;
	case PP_FUTEX:
	case PP_FUTEX_GLIBC:
		mfd = memfd_create("notify_bench", MFD_CLOEXEC);
		if (mfd < 0 || ftruncate(mfd, 4096))
			bench_die("memfd");
		pp->word = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
		if (pp->word == MAP_FAILED)
			bench_die("mmap memfd");
		close(mfd);
		break;
	case PP_EVENTFD:
		pp->a[0] = pp->a[1] = eventfd(0, EFD_CLOEXEC);
		pp->b[0] = pp->b[1] = eventfd(0, EFD_CLOEXEC);
		if (pp->a[0] < 0 || pp->b[0] < 0)
			bench_die("eventfd");
		break;
	case PP_PIPE:
		if (pipe2(pp->a, O_CLOEXEC) || pipe2(pp->b, O_CLOEXEC))
			bench_die("pipe");
		break;
	case PP_SOCKET:
		/* a[0] <-> a[1] both ways; b unused. */
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pp->a))
			bench_die("socketpair");
		break;
	}
	if (pp->word)
		*pp->word = 0;
}

static void pp_teardown(struct pp *pp)
{
	if (pp->word)
		munmap((void *)pp->word, 4096);
	if (pp->fd >= 0)
		close(pp->fd);
	if (pp->kind == PP_EVENTFD) {
		close(pp->a[0]);
		close(pp->b[0]);
	} else if (pp->kind == PP_PIPE || pp->kind == PP_SOCKET) {
		for (int i = 0; i < 2; i++) {
			close(pp->a[i]);
			if (pp->kind == PP_PIPE)
				close(pp->b[i]);
		}
	}
}

static long futex(void *w, int op, unsigned int val)
{
	/* A 32-bit word: the low half of a little-endian 64-bit one. */
	return syscall(SYS_futex, (unsigned int *)w, op, val, NULL, NULL, 0);
}

/*
 * futex-glibc: the low bit of the 32-bit word says that the other side
 * may be asleep on it (glibc's lock word state 2), the rest is whose turn
 * it is. A side that finds the turn not yet its own sets the bit with a
 * compare-and-swap, so that it sleeps on the very value it checked, and
 * FUTEX_WAIT sleeps only while the word still holds that value. The side
 * that passes the turn swaps in the new turn with the bit clear and calls
 * FUTEX_WAKE only when the bit was set: no system call when the other side
 * was not about to sleep.
 */
#define FG_WAITERS	1u

static void pp_futex_await(_Atomic unsigned int *w, __u64 want)
{
	unsigned int turn = (unsigned int)(want << 1), v = *w;

	while ((v & ~FG_WAITERS) != turn) {
		if (!(v & FG_WAITERS)) {
			if (!atomic_compare_exchange_strong(w, &v, v | FG_WAITERS))
				continue;	/* @v was reloaded */
			v |= FG_WAITERS;
		}
		futex(w, FUTEX_WAIT, v);
		v = *w;
	}
}

static void pp_futex_pass(_Atomic unsigned int *w, __u64 next)
{
	if (atomic_exchange(w, (unsigned int)(next << 1)) & FG_WAITERS)
		futex(w, FUTEX_WAKE, 1);
}

/* Waits until the shared word is @want (the word-based kinds). */
static void pp_await(struct pp *pp, struct pp_side_state *st, __u64 want)
{
	__u64 cur;
	int err;

	switch (pp->kind) {
	case PP_SHMDEV:
		while (*pp->word != want) {
			err = shmdev_wait(&st->dev, &st->lseq, -1);
			if (err && err != -EINTR) {
				errno = -err;
				bench_die("shmdev_wait");
			}
		}
		break;
	case PP_IOCTL:
		while (*pp->word != want)
			dev_wait(pp->fd, &st->seq);
		break;
	case PP_FUTEX:
		/* Sleep on the very value found different. */
		while ((cur = *pp->word) != want)
			futex(pp->word, FUTEX_WAIT, (unsigned int)cur);
		break;
	case PP_FUTEX_GLIBC:
		pp_futex_await((_Atomic unsigned int *)pp->word, want);
		break;
	}
}

/* Sets the shared word to @next and wakes the other side. */
static void pp_pass(struct pp *pp, struct pp_side_state *st, __u64 next)
{
	int err;

	switch (pp->kind) {
	case PP_SHMDEV:
		*pp->word = next;
		err = shmdev_notify(&st->dev, &st->lseq);
		if (err) {
			errno = -err;
			bench_die("shmdev_notify");
		}
		break;
	case PP_IOCTL:
		*pp->word = next;
		dev_notify(pp->fd, &st->seq);
		break;
	case PP_FUTEX:
		*pp->word = next;
		futex(pp->word, FUTEX_WAKE, 1);
		break;
	case PP_FUTEX_GLIBC:
		pp_futex_pass((_Atomic unsigned int *)pp->word, next);
		break;
	}
}

/* The file-based kinds: one byte (eventfd: one count) each way. */
static void pp_recv(struct pp *pp, int side)
{
	__u64 v;
	char c;

	switch (pp->kind) {
	case PP_EVENTFD:
		if (read(side ? pp->a[0] : pp->b[0], &v, 8) != 8)
			bench_die("read eventfd");
		break;
	case PP_PIPE:
		if (read(side ? pp->a[0] : pp->b[0], &c, 1) != 1)
			bench_die("read pipe");
		break;
	case PP_SOCKET:
		if (read(pp->a[side], &c, 1) != 1)
			bench_die("read socket");
		break;
	}
}

static void pp_send(struct pp *pp, int side)
{
	__u64 v = 1;
	char c = 0;

	switch (pp->kind) {
	case PP_EVENTFD:
		if (write(side ? pp->b[1] : pp->a[1], &v, 8) != 8)
			bench_die("write eventfd");
		break;
	case PP_PIPE:
		if (write(side ? pp->b[1] : pp->a[1], &c, 1) != 1)
			bench_die("write pipe");
		break;
	case PP_SOCKET:
		if (write(pp->a[side], &c, 1) != 1)
			bench_die("write socket");
		break;
	}
}

static bool pp_word_based(int kind)
{
	return kind == PP_SHMDEV || kind == PP_IOCTL || kind == PP_FUTEX ||
	       kind == PP_FUTEX_GLIBC;
}

/*
 * One side of @rounds round trips; side 0 starts. The shmdev kind opens a
 * handle of its own in each process, after the process got its CPUs, as a
 * program would: the library decides per handle whether spinning can help.
 */
static void pp_side(struct pp *pp, int side, long rounds)
{
	struct pp_side_state st = { .seq = 0, .lseq = 0 };
	int err;

	if (pp->kind == PP_SHMDEV) {
		err = shmdev_open(&st.dev, O_RDWR);
		if (err) {
			errno = -err;
			bench_die("shmdev_open");
		}
	}
	for (long i = 0; i < rounds; i++) {
		__u64 mine = 2 * i + side;

		if (pp_word_based(pp->kind)) {
			pp_await(pp, &st, mine);
			pp_pass(pp, &st, mine + 1);
		} else {
			if (side == 1 || i > 0)
				pp_recv(pp, side);
			pp_send(pp, side);
		}
	}
	/* Side 0 waits for the last pong. */
	if (side == 0) {
		if (pp_word_based(pp->kind))
			pp_await(pp, &st, 2 * (__u64)rounds);
		else
			pp_recv(pp, 0);
	}
	if (pp->kind == PP_SHMDEV)
		shmdev_close(&st.dev);
}

/* Voluntary context switches of the caller so far: times it slept. */
static long sleeps(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		bench_die("getrusage");
	return ru.ru_nvcsw;
}

/*
 * ns per round trip, the two processes placed as @placement says; *@slept:
 * the times the two slept (voluntary context switches) per round trip, 2
 * when each sleeps once per round trip, near 0 when neither has to.
 */
static double pp_run(int kind, long rounds, int placement, double *slept)
{
	_Atomic long *child_slept = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
					 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint64_t t0, t;
	struct pp pp;
	long s0;
	pid_t pid;

	if (child_slept == MAP_FAILED)
		bench_die("mmap");
	pp_setup(&pp, kind);
	if (placement == PL_ANY)
		bench_unpin();
	else
		bench_pin(0);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		bench_die("fork");
	if (pid == 0) {
		if (placement != PL_ANY)
			bench_pin(placement == PL_SAME ? 0 : 1);
		s0 = sleeps();
		pp_side(&pp, 1, rounds);
		*child_slept = sleeps() - s0;
		_exit(0);
	}
	s0 = sleeps();
	t0 = sd_now_ns();
	pp_side(&pp, 0, rounds);
	t = sd_now_ns() - t0;
	s0 = sleeps() - s0;
	if (!child_ok(pid))
		bench_die("ping-pong child");
	*slept = (double)(s0 + *child_slept) / rounds;
	munmap((void *)child_slept, 4096);
	pp_teardown(&pp);
	return (double)t / rounds;
}

/* ---- a notify nobody waits for ----------------------------------------- */

/*
 * ns per call of getppid() (the cheapest system call there is), of
 * SHMDEV_IOC_NOTIFY called directly, and of libshmdev's shmdev_notify(),
 * on a region nobody waits on. Then how many system calls @n calls of
 * shmdev_notify() make, counted in a child under a seccomp filter that
 * traps every system call but exit_group and rt_sigreturn: the SIGSYS
 * handler counts them (each trapped call fails with ENOSYS and does
 * nothing). The same count of @n direct NOTIFY ioctls must come out as
 * @n, which checks the counter.
 */
enum { ID_GETPPID, ID_IOCTL, ID_LIB, NR_ID };
static const char *const id_name[NR_ID] = { "getppid", "notify-ioctl", "shmdev_notify" };

static void idle_open(struct shmdev *dev)
{
	int err = shmdev_open(dev, O_RDWR);

	if (!err)
		err = shmdev_set_size(dev, 4096);
	if (err) {
		errno = -err;
		bench_die("shmdev_open");
	}
	/* A stale "may be waiting" flag costs one wake-up call, here. */
	shmdev_notify(dev, NULL);
}

static void idle_loop(int kind, struct shmdev *dev, long n)
{
	uint64_t lseq;
	__u64 seq;

	for (long i = 0; i < n; i++) {
		switch (kind) {
		case ID_GETPPID:
			syscall(SYS_getppid);
			break;
		case ID_IOCTL:
			ioctl(dev->fd, SHMDEV_IOC_NOTIFY, &seq);
			break;
		case ID_LIB:
			shmdev_notify(dev, &lseq);
			break;
		}
	}
}

static double idle_ns(int kind, long n)
{
	struct shmdev dev;
	uint64_t t0, t;

	idle_open(&dev);
	t0 = sd_now_ns();
	idle_loop(kind, &dev, n);
	t = sd_now_ns() - t0;
	shmdev_close(&dev);
	return (double)t / n;
}

static volatile sig_atomic_t trapped;

static void count_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	trapped++;
#if defined(__x86_64__)
	/* The trapped call returns -ENOSYS instead of its number. */
	((ucontext_t *)uc)->uc_mcontext.gregs[REG_RAX] = -ENOSYS;
#else
	(void)uc;
#endif
}

static int trap_all_syscalls(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_exit_group, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_rt_sigreturn, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };
	struct sigaction sa = { .sa_sigaction = count_sigsys, .sa_flags = SA_SIGINFO };

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

/* System calls made by @n calls of @kind, or -1 when they cannot be counted. */
static double idle_syscalls(int kind, long n)
{
	_Atomic long *res = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct shmdev dev;
	double v;
	pid_t pid;

	if (res == MAP_FAILED)
		bench_die("mmap");
	*res = -1;
	idle_open(&dev);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		bench_die("fork");
	if (pid == 0) {
		if (trap_all_syscalls()) {
			perror("notify_bench: seccomp filter");
			_exit(3);
		}
		trapped = 0;
		idle_loop(kind, &dev, n);
		*res = trapped;
		_exit(0);	/* exit_group, allowed */
	}
	if (!child_ok(pid))
		bench_die("syscall count child");
	v = (double)*res;
	shmdev_close(&dev);
	munmap((void *)res, 4096);
	if (kind == ID_IOCTL && v != n) {
		fprintf(stderr, "notify_bench: the seccomp counter saw %.0f of %ld ioctls\n",
			v, n);
		exit(1);
	}
	return v;
}

/* ---- bulk ------------------------------------------------------------- */

enum { BK_RING, BK_INPLACE, BK_PIPE, BK_SOCKET, BK_COPY2, NR_BK };
static const char *const bk_name[NR_BK] = {
	"shmdev-ring", "shmdev-ring-inplace", "pipe", "socket", "memcpy-x2"
};

/* The ring: a header page, then @slots slots of @msg bytes. */
struct ring {
	_Atomic __u64 head, tail;
};

static char *slot_of(char *slots_base, size_t msg, size_t slots, __u64 n)
{
	return slots_base + (n % slots) * msg;
}

/*
 * Message @i: the source pattern with @i in its first word and a byte
 * derived from @i at its end. The consumer sums every word, which both
 * reads the whole message and checks it.
 */
static void stamp(char *m, size_t msg, __u64 i)
{
	memcpy(m, &i, sizeof(i));
	m[msg - 1] = (char)(i * 7 + 1);
}

static __u64 sum_words(const char *m, size_t msg)
{
	const __u64 *w = (const __u64 *)m;
	__u64 sum = 0;

	for (size_t k = 0; k < msg / 8; k++)
		sum += w[k];
	return sum;
}

/* @base: the sum of the unstamped source, whose first and last words are 0. */
static void check_msg(const char *m, size_t msg, __u64 i, __u64 base)
{
	__u64 want = base + i + ((__u64)(unsigned char)(i * 7 + 1) << 56);

	if (sum_words(m, msg) != want) {
		fprintf(stderr, "notify_bench: message %llu lost or corrupted\n",
			(unsigned long long)i);
		exit(1);
	}
}

static void full_write(int fd, const char *b, size_t n)
{
	while (n) {
		ssize_t w = write(fd, b, n);

		if (w <= 0)
			bench_die("write");
		b += w;
		n -= w;
	}
}

static void full_read(int fd, char *b, size_t n)
{
	while (n) {
		ssize_t r = read(fd, b, n);

		if (r <= 0)
			bench_die("read");
		b += r;
		n -= r;
	}
}

/* The slots of the ring, or of the ceiling's buffer: 4 MiB, 4 at least. */
static size_t nr_slots(size_t msg)
{
	return msg >= (1 << 20) ? 4 : (4 << 20) / msg;
}

/*
 * memcpy-x2: what the transfer would cost with nothing but the copies.
 * One process, the same stamp, copy into a slot of a buffer as large as
 * the ring's, copy out, and check as the consumers do.
 */
static uint64_t copy2_run(char *src, char *dst, size_t msg, long msgs, __u64 base)
{
	size_t slots = nr_slots(msg);
	char *buf = mmap(NULL, slots * msg, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	uint64_t t0, t;

	if (buf == MAP_FAILED)
		bench_die("mmap");
	t0 = sd_now_ns();
	for (long i = 0; i < msgs; i++) {
		char *slot = slot_of(buf, msg, slots, i);

		stamp(src, msg, i);
		memcpy(slot, src, msg);
		memcpy(dst, slot, msg);
		check_msg(dst, msg, i, base);
	}
	t = sd_now_ns() - t0;
	munmap(buf, slots * msg);
	return t;
}

/* MiB/s moving @msgs messages of @msg bytes from one process to another. */
static double bulk_run(int kind, size_t msg, long msgs)
{
	size_t slots = nr_slots(msg), ring_len = 4096 + slots * msg;
	char *src = aligned_alloc(4096, msg), *dst = aligned_alloc(4096, msg);
	bool ring = kind == BK_RING || kind == BK_INPLACE;
	int fd = -1, p[2] = { -1, -1 };
	struct ring *r = NULL;
	char *base_slots = NULL;
	uint64_t t0, t;
	__u64 base;
	pid_t pid;

	if (!src || !dst)
		bench_die("aligned_alloc");
	memset(src, 0x5a, msg);
	memset(src, 0, 8);
	memset(src + msg - 8, 0, 8);
	memset(dst, 0, msg);
	base = sum_words(src, msg);

	if (kind == BK_COPY2) {
		t = copy2_run(src, dst, msg, msgs, base);
		goto out;
	}
	if (ring) {
		void *map;

		fd = shmdev_attach(ring_len, &map);
		r = map;
		r->head = r->tail = 0;
		base_slots = (char *)map + 4096;
	} else if (kind == BK_PIPE) {
		if (pipe2(p, O_CLOEXEC))
			bench_die("pipe");
		/* As large as an unprivileged pipe gets by default. */
		fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
	} else {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p))
			bench_die("socketpair");
	}

	fflush(stdout);
	t0 = sd_now_ns();
	pid = fork();
	if (pid < 0)
		bench_die("fork");
	if (pid == 0) {
		/* Producer, on the other vCPU. */
		__u64 seq = 0;

		bench_pin(1);
		for (long i = 0; i < msgs; i++) {
			stamp(src, msg, i);
			if (!ring) {
				full_write(p[1], src, msg);
				continue;
			}
			while (r->head - r->tail == slots)
				dev_wait(fd, &seq);
			memcpy(slot_of(base_slots, msg, slots, r->head), src, msg);
			r->head++;
			dev_notify(fd, &seq);
		}
		_exit(0);
	}
	/* Consumer. */
	bench_pin(0);
	{
		__u64 seq = 0;

		for (long i = 0; i < msgs; i++) {
			const char *slot;

			if (!ring) {
				full_read(p[0], dst, msg);
				check_msg(dst, msg, i, base);
				continue;
			}
			while (r->tail == r->head)
				dev_wait(fd, &seq);
			slot = slot_of(base_slots, msg, slots, r->tail);
			if (kind == BK_INPLACE) {
				check_msg(slot, msg, i, base);
			} else {
				/* Copied out, as read() does, then the slot is free. */
				memcpy(dst, slot, msg);
			}
			r->tail++;
			dev_notify(fd, &seq);
			if (kind == BK_RING)
				check_msg(dst, msg, i, base);
		}
	}
	t = sd_now_ns() - t0;
	if (!child_ok(pid))
		bench_die("bulk producer");
	if (ring) {
		munmap(r, ring_len);
		close(fd);
	} else {
		close(p[0]);
		close(p[1]);
	}
out:
	free(src);
	free(dst);
	return msgs * (msg / 1048576.0) / (t / 1e9);
}

/* ---- wake-all --------------------------------------------------------- */

enum { WK_SHMDEV, WK_FUTEX, NR_WK };
static const char *const wk_name[NR_WK] = { "shmdev", "futex" };

struct wake_area {
	_Atomic int ready;	/* waiters about to sleep */
	_Atomic int woken;	/* waiters that ran after the wake-up */
	_Atomic __u64 last_ns;	/* when the last of them ran */
	_Atomic __u64 word;	/* the futex: 0 until the wake-up */
};

struct waiter_arg {
	int kind;
	int fd;			/* shmdev */
	__u64 seq;		/* shmdev: the sequence before the NOTIFY */
	struct wake_area *w;
	int release[2];		/* EOF on release[0] lets the waiter exit */
};

static int waiter(void *p)
{
	struct waiter_arg *a = p;
	struct wake_area *w = a->w;
	__u64 now, last;
	char c;

	close(a->release[1]);
	w->ready++;
	if (a->kind == WK_SHMDEV) {
		struct shmdev_wait wt = { .seq = a->seq, .timeout_ns = -1 };

		if (ioctl(a->fd, SHMDEV_IOC_WAIT, &wt))
			return 1;
	} else {
		while (!w->word)
			futex(&w->word, FUTEX_WAIT, 0);
	}
	now = sd_now_ns();
	last = w->last_ns;
	while (now > last && !atomic_compare_exchange_weak(&w->last_ns, &last, now))
		;
	w->woken++;
	return read(a->release[0], &c, 1) == 0 ? 0 : 1;
}

/*
 * ns from one wake-up call until the last of @n sleeping waiters runs. A
 * waiter stamps the time and then blocks on a pipe, so that the exits of
 * the first ones do not delay the wake-up of the last ones.
 */
static double wake_all_run(int kind, int n)
{
	struct waiter_arg a = { .kind = kind, .fd = -1 };
	pid_t pids[MAX_WAITERS];
	struct wake_area *w;
	uint64_t t0;
	double dt;
	void *map;

	if (kind == WK_SHMDEV) {
		a.fd = shmdev_attach(4096, &map);
		if (ioctl(a.fd, SHMDEV_IOC_NOTIFY, &a.seq))
			bench_die("SHMDEV_IOC_NOTIFY");
	} else {
		map = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (map == MAP_FAILED)
			bench_die("mmap");
	}
	w = a.w = map;
	w->ready = 0;
	w->woken = 0;
	w->last_ns = 0;
	w->word = 0;
	if (pipe(a.release))
		bench_die("pipe");
	fflush(stdout);
	for (int i = 0; i < n; i++) {
		pids[i] = sd_spawn(waiter, &a);
		if (pids[i] < 0)
			bench_die("fork");
	}
	close(a.release[0]);
	while (w->ready < n)
		usleep(1000);
	/* Let the last of them reach its sleep. */
	usleep(100000);
	t0 = sd_now_ns();
	if (kind == WK_SHMDEV) {
		if (ioctl(a.fd, SHMDEV_IOC_NOTIFY, &a.seq))
			bench_die("SHMDEV_IOC_NOTIFY");
	} else {
		w->word = 1;
		futex(&w->word, FUTEX_WAKE, INT_MAX);
	}
	while (w->woken < n)
		usleep(100);
	dt = (double)(w->last_ns - t0);
	close(a.release[1]);
	if (sd_wait_all(pids, n))
		bench_die("wake-all waiter");
	munmap(map, 4096);
	if (a.fd >= 0)
		close(a.fd);
	return dt;
}

/* ---- main ------------------------------------------------------------- */

enum bench { B_RTT, B_BULK, B_WAKE, B_IDLE, B_IDLE_COUNT };

/* One measurement of a round. */
struct ncase {
	enum bench bench;
	int kind;
	int param;	/* rtt: placement; bulk: size index; wake: waiters */
};

static const size_t bulk_size[] = { 4096, 65536, 1 << 20 };
static const char *const bulk_test[] = { "4K", "64K", "1M" };
#define NR_SIZES 3

static double lat[NR_PL][NR_PP][MAX_REPS], bulk[NR_SIZES][NR_BK][MAX_REPS];
static double slp[NR_PL][NR_PP][MAX_REPS];
static double idle[NR_ID][MAX_REPS], idle_count[NR_ID][MAX_REPS];

static void run_case(const struct ncase *c, long rounds, long mib, long calls,
		     int r, int pos)
{
	/* Every case starts unpinned, whatever the one before it did. */
	bench_unpin();
	switch (c->bench) {
	case B_RTT: {
		double slept;

		lat[c->param][c->kind][r] = pp_run(c->kind, rounds, c->param, &slept);
		bench_sample("rtt", pl_name[c->param], pp_name[c->kind],
			     rounds, lat[c->param][c->kind][r], "ns", r, pos);
		slp[c->param][c->kind][r] = slept;
		/* Two decimals: the sample line has one. */
		bench_sample("rtt-sleeps", pl_name[c->param], pp_name[c->kind],
			     rounds, slept * 100, "sleeps/100rt", r, pos);
		break;
	}
	case B_BULK: {
		size_t sz = bulk_size[c->param];

		bulk[c->param][c->kind][r] = bulk_run(c->kind, sz, (mib << 20) / sz);
		bench_sample("bulk", bulk_test[c->param], bk_name[c->kind], sz,
			     bulk[c->param][c->kind][r], "MiB/s", r, pos);
		break;
	}
	case B_WAKE:
		bench_sample("wake-all", "wake", wk_name[c->kind], c->param,
			     wake_all_run(c->kind, c->param), "ns", r, pos);
		break;
	case B_IDLE:
		idle[c->kind][r] = idle_ns(c->kind, calls);
		bench_sample("idle-notify", "call", id_name[c->kind], calls,
			     idle[c->kind][r], "ns", r, pos);
		break;
	case B_IDLE_COUNT:
		idle_count[c->kind][r] = idle_syscalls(c->kind, calls);
		bench_sample("idle-notify", "syscalls", id_name[c->kind], calls,
			     idle_count[c->kind][r], "syscalls", r, pos);
		break;
	}
}

static void print_summary(long rounds, long mib, long calls, int reps)
{
	static const char *const pl_text[NR_PL] = {
		"pinned to two vCPUs", "both pinned to one vCPU", "two vCPUs, not pinned"
	};

	for (int pl = 0; pl < NR_PL; pl++) {
		double s = median(lat[pl][PP_SHMDEV], reps);

		printf("\n# ping-pong round trip, %s, %ld rounds x %d\n",
		       pl_text[pl], rounds, reps);
		printf("%-20s %14s %16s %16s\n", "mechanism", "median ns", "shmdev / this",
		       "sleeps per rt");
		for (int k = 0; k < NR_PP; k++) {
			double m = median(lat[pl][k], reps);

			printf("%-20s %14.0f %16.2f %16.2f\n", pp_name[k], m, s / m,
			       median(slp[pl][k], reps));
		}
	}
	printf("\n# a notify nobody waits for, %ld calls x %d\n", calls, reps);
	printf("%-20s %14s %16s %16s\n", "call", "median ns", "this / getppid",
	       "syscalls (max)");
	for (int k = 0; k < NR_ID; k++) {
		double m = median(idle[k], reps), cmax;

		if (k == ID_GETPPID) {
			printf("%-20s %14.0f %16.2f %16s\n", id_name[k], m, 1.0, "-");
			continue;
		}
		median(idle_count[k], reps);	/* sorts: the last is the largest */
		cmax = idle_count[k][reps - 1];
		printf("%-20s %14.0f %16.2f %16.0f\n", id_name[k], m,
		       m / median(idle[ID_GETPPID], reps), cmax);
	}
	for (int z = 0; z < NR_SIZES; z++) {
		double s = median(bulk[z][BK_RING], reps);

		printf("\n# bulk, %zu-byte messages, %ld MiB x %d\n", bulk_size[z], mib, reps);
		printf("%-20s %14s %16s\n", "path", "median MiB/s", "shmdev-ring / this");
		for (int k = 0; k < NR_BK; k++) {
			double m = median(bulk[z][k], reps);

			printf("%-20s %14.0f %16.2f\n", bk_name[k], m, s / m);
		}
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: notify_bench [-r REPS] [-n ROUNDS] [-m MIB] [-w MAXWAITERS] [-c CALLS]\n"
		"                    [-S SEED]\n"
		"Ping-pong latency, bulk throughput and wake-all time of shmdev\n"
		"NOTIFY/WAIT (through libshmdev and through the ioctls) against futex,\n"
		"eventfd, pipe, socketpair and memcpy; the cost of a notify nobody waits\n"
		"for against getppid(), and the system calls it makes.\n"
		"  -r REPS        rounds, each running every case once in a new order\n"
		"                 (default 5, at most 64)\n"
		"  -n ROUNDS      round trips per latency measurement (default 2000)\n"
		"  -m MIB         MiB moved per bulk measurement (default 32)\n"
		"  -w MAXWAITERS  largest number of waiters woken at once (default 256,\n"
		"                 at most 1024)\n"
		"  -c CALLS       calls per measurement of a notify nobody waits for\n"
		"                 (default 20000)\n"
		"  -S SEED        seed of the order of the cases (default: from the clock)\n"
		"  -h             this help\n");
}

int main(int argc, char **argv)
{
	struct ncase cases[NR_PL * NR_PP + NR_SIZES * NR_BK + NR_WK * 8 + 2 * NR_ID];
	int order[sizeof(cases) / sizeof(cases[0])], prev[sizeof(order) / sizeof(order[0])];
	int reps = 5, max_waiters = 256, c, n = 0;
	uint64_t seed = sd_fresh_seed();
	long rounds = 2000, mib = 32, calls = 20000;
	struct sd_rng rng;

	while ((c = getopt(argc, argv, "r:n:m:w:c:S:h")) != -1) {
		switch (c) {
		case 'r':
			reps = atoi(optarg);
			break;
		case 'n':
			rounds = atol(optarg);
			break;
		case 'm':
			mib = atol(optarg);
			break;
		case 'w':
			max_waiters = atoi(optarg);
			break;
		case 'c':
			calls = atol(optarg);
			break;
		case 'S':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (reps < 1 || reps > MAX_REPS || rounds < 1 || mib < 1 || calls < 1 ||
	    max_waiters < 1 || max_waiters > MAX_WAITERS) {
		usage(stderr);
		return 2;
	}
	bench_meta("notify_bench", seed, reps);

	for (int pl = 0; pl < NR_PL; pl++)
		for (int k = 0; k < NR_PP; k++)
			cases[n++] = (struct ncase){ B_RTT, k, pl };
	for (int k = 0; k < NR_ID; k++) {
		cases[n++] = (struct ncase){ B_IDLE, k, 0 };
		if (k != ID_GETPPID)
			cases[n++] = (struct ncase){ B_IDLE_COUNT, k, 0 };
	}
	for (int z = 0; z < NR_SIZES; z++)
		for (int k = 0; k < NR_BK; k++)
			cases[n++] = (struct ncase){ B_BULK, k, z };
	/* 1, 4, 16... and @max_waiters. */
	for (int w = 1; w <= max_waiters;
	     w = w < max_waiters && w * 4 > max_waiters ? max_waiters : w * 4)
		for (int k = 0; k < NR_WK; k++)
			cases[n++] = (struct ncase){ B_WAKE, k, w };

	sd_rng_seed(&rng, seed);
	for (int r = 0; r < reps; r++) {
		bench_order(&rng, order, prev, n, r == 0);
		for (int i = 0; i < n; i++)
			run_case(&cases[order[i]], rounds, mib, calls, r, i);
		fprintf(stderr, "notify_bench: round %d of %d done\n", r + 1, reps);
	}
	print_summary(rounds, mib, calls, reps);
	return 0;
}

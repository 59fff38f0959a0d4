// SPDX-License-Identifier: GPL-2.0
/*
 * Memory accounting of regions: each region's size, rounded up to pages,
 * is charged to the user who last set it, against that user's
 * RLIMIT_MEMLOCK (ENOMEM beyond it, unless CAP_IPC_LOCK) and against the
 * module-wide max_total_size (ENOSPC). Shrinking, and the end of an
 * unlinked or autoremoved region, give back exactly what was charged.
 * GET_INFO, /proc/shmdev/regions and debugfs shmdev/users show the
 * charges.
 *
 * Runs as root; children become users 1001 and 1002, with no capability
 * and a memlock limit of the test's choosing. Each failing call is
 * checked for one errno and for having changed nothing.
 */

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/capability.h>

#include "shmdev_util.h"

#include "../../kselftest_harness.h"

#define NOBODY	((__u32)-1)	/* charged_uid when nothing is charged */

FIXTURE(acct) {
	int dev;
	long psz;
	mode_t node_mode;
	long long max_total;		/* saved when a test changes it */
	struct shared_failure *fail;
	int nnames;
	char names[16][SHMDEV_NAME_MAX];
};

/* A name for this test, unlinked by the teardown. */
static const char *nm(FIXTURE_DATA(acct) *self, const char *tag)
{
	char buf[SHMDEV_NAME_MAX];

	snprintf(buf, sizeof(buf), "a%d-%s", (int)getpid(), tag);
	for (int i = 0; i < self->nnames; i++)
		if (!strcmp(self->names[i], buf))
			return self->names[i];
	if (self->nnames == (int)ARRAY_SIZE(self->names))
		abort();
	strcpy(self->names[self->nnames], buf);
	return self->names[self->nnames++];
}

FIXTURE_SETUP(acct)
{
	struct stat st;

	self->psz = page_size();
	self->max_total = -1;
	self->node_mode = 0;
	self->dev = -1;
	if (geteuid())
		SKIP(return, "needs root");
	self->fail = mmap(NULL, sizeof(*self->fail), PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->fail);
	umask(0);
	self->dev = shmdev_open(O_RDWR);
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, shmdev_set_size(self->dev, 0));
	/* The test users start with nothing charged. */
	ASSERT_EQ(0, sd_user_row(1001, NULL, NULL)) TH_LOG("user 1001 has a charge left");
	ASSERT_EQ(0, sd_user_row(1002, NULL, NULL)) TH_LOG("user 1002 has a charge left");
	ASSERT_EQ(0, stat(SHMDEV_PATH, &st));
	self->node_mode = st.st_mode & 07777;
	ASSERT_EQ(0, chmod(SHMDEV_PATH, 0666));
}

/* In the test's parent, so that it runs also after a failed ASSERT. */
FIXTURE_TEARDOWN_PARENT(acct)
{
	int dev = shmdev_open(O_RDWR);

	if (dev >= 0) {
		for (int i = 0; i < self->nnames; i++)
			shmdev_unlink_name(dev, self->names[i]);
		close(dev);
	}
	if (self->max_total >= 0)
		sd_set_param("max_total_size", self->max_total);
	if (self->node_mode)
		chmod(SHMDEV_PATH, self->node_mode);
}

#define C(cond, ...)	SD_CHILD_CHECK(self->fail, cond, "" __VA_ARGS__)

/* Reaps a child of the test; its recorded failure, if any, is printed. */
#define CHILD_PASSES(pid) do {						\
	int st_;							\
	ASSERT_EQ(pid, waitpid(pid, &st_, 0));				\
	ASSERT_TRUE(sd_status_ok(pid, st_)) TH_LOG("child: %s", self->fail->why); \
} while (0)

/*
 * In a child: becomes @uid (group @uid) with RLIMIT_MEMLOCK @limit bytes
 * and no capability; returns a file of the node.
 */
static int child_as(FIXTURE_DATA(acct) *self, uid_t uid, unsigned long long limit)
{
	struct rlimit rl = { .rlim_cur = limit, .rlim_max = limit };
	int d;

	C(!setrlimit(RLIMIT_MEMLOCK, &rl));
	C(!sd_become(uid, uid, NULL, 0));
	d = open(SHMDEV_PATH, O_RDWR | O_CLOEXEC);
	C(d >= 0);
	return d;
}

static int create(int d, const char *name, __u64 size)
{
	return shmdev_open_name(d, name, size, SHMDEV_OPEN_CREATE | SHMDEV_OPEN_EXCL, 0666);
}

/* Whether @name exists: 0, or the errno of opening it. */
static int name_errno(int d, const char *name)
{
	int fd = shmdev_open_name(d, name, 0, SHMDEV_OPEN_RDONLY, 0);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/* GET_INFO's charge of @fd: charged_uid and charged bytes. */
static bool charge_is(int fd, __u32 uid, __u64 bytes)
{
	struct shmdev_info info;

	if (shmdev_info(fd, &info))
		return false;
	if (info.charged_uid != uid || info.charged != bytes) {
		fprintf(stderr, "# region %u: charged_uid %d, charged %llu; expected %d, %llu\n",
			info.id, (int)info.charged_uid,
			(unsigned long long)info.charged, (int)uid,
			(unsigned long long)bytes);
		return false;
	}
	return true;
}

/*
 * The row of @uid in debugfs shmdev/users matches: @regions regions,
 * @bytes reserved, locked_vm in pages as much (nothing else in the VM
 * uses the test users' locked_vm). @regions 0: no row at all.
 */
#define EXPECT_USER(uid_, nreg_, bytes_) do {				\
	struct sd_user_row r_;						\
	int f_ = sd_user_row(uid_, &r_, NULL);				\
	if ((nreg_) == 0) {						\
		EXPECT_EQ(0, f_) TH_LOG("user %d: a row with %llu regions, %llu bytes", \
					(int)(uid_), r_.regions, r_.reserved); \
	} else {							\
		EXPECT_EQ(1, f_) TH_LOG("user %d: no row", (int)(uid_));	\
		EXPECT_EQ((unsigned long long)(nreg_), r_.regions);	\
		EXPECT_EQ((unsigned long long)(bytes_), r_.reserved);	\
		EXPECT_EQ((unsigned long long)(bytes_) / self->psz, r_.locked_vm_pages); \
	}								\
} while (0)

/*
 * RLIMIT_MEMLOCK: an unprivileged user creates and grows regions up to
 * the limit exactly, less what the user already had charged; past it OPEN|CREATE, SET_SIZE and ftruncate fail
 * ENOMEM and change nothing; an empty region charges nothing.
 */
TEST_F(acct, memlock_limit)
{
	const long P = self->psz;
	const char *a = nm(self, "a"), *b = nm(self, "b"), *c = nm(self, "c");
	struct sd_list_row rows[64];
	const struct sd_list_row *row;
	const char *pre = nm(self, "pre");
	struct shmdev_info ia;
	int rn, fd;
	pid_t pid;

	/* 4 pages charged to 1001 by an earlier process count too. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int d = child_as(self, 1001, 64 * P);

		C(create(d, pre, 4 * P) >= 0);
		_exit(0);
	}
	CHILD_PASSES(pid);
	EXPECT_USER(1001, 1, 4 * P);

	/* A limit of 20 pages leaves 16. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int d = child_as(self, 1001, 20 * P), fa, fb, fc;

		fa = create(d, a, 10 * P);
		C(fa >= 0);
		C(charge_is(fa, 1001, 10 * P));
		C(create(d, b, 7 * P) == -1 && errno == ENOMEM);
		C(name_errno(d, b) == ENOENT);
		C(create(d, b, 6 * P + 1) == -1 && errno == ENOMEM);
		fb = create(d, b, 6 * P);			/* 16 pages: the limit */
		C(fb >= 0);
		C(charge_is(fb, 1001, 6 * P));

		C(shmdev_set_size(fa, 10 * P + 1) == -1 && errno == ENOMEM);
		C(shmdev_get_size(fa) == (__u64)(10 * P));
		C(charge_is(fa, 1001, 10 * P));
		C(ftruncate(fa, 11 * P) == -1 && errno == ENOMEM);
		C(shmdev_get_size(fa) == (__u64)(10 * P));
		C(create(d, c, 1) == -1 && errno == ENOMEM);
		C(name_errno(d, c) == ENOENT);
		/* Within the pages already charged: no change of charge. */
		C(!shmdev_set_size(fa, 10 * P - 100));
		C(charge_is(fa, 1001, 10 * P));
		C(!shmdev_set_size(fa, 10 * P));

		/* An empty region charges nothing, even at the limit. */
		fc = create(d, c, 0);
		C(fc >= 0);
		C(charge_is(fc, NOBODY, 0));
		C(shmdev_set_size(fc, 1) == -1 && errno == ENOMEM);
		C(charge_is(fc, NOBODY, 0));
		C(shmdev_get_size(fc) == 0);
		C(!shmdev_unlink_name(d, c));
		_exit(0);
	}
	CHILD_PASSES(pid);
	EXPECT_USER(1001, 3, 20 * P);
	EXPECT_EQ(0, shmdev_unlink_name(self->dev, pre));
	EXPECT_USER(1001, 2, 16 * P);

	rn = sd_list_read(SHMDEV_LIST_PATH, NULL, 0, rows, ARRAY_SIZE(rows));
	ASSERT_LT(0, rn);
	fd = shmdev_open_name(self->dev, a, 0, SHMDEV_OPEN_RDONLY, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, shmdev_info(fd, &ia));
	close(fd);
	EXPECT_EQ(1001U, ia.charged_uid);
	EXPECT_EQ(10ULL * P, ia.charged);
	row = sd_list_find(rows, rn, ia.id);
	ASSERT_NE(NULL, row);
	EXPECT_STREQ("1001", row->charged_uid);
	EXPECT_EQ(10ULL * P, row->charged);
	EXPECT_EQ(10ULL * P, row->size);

	EXPECT_EQ(0, shmdev_unlink_name(self->dev, a));
	EXPECT_USER(1001, 1, 6 * P);
	EXPECT_EQ(0, shmdev_unlink_name(self->dev, b));
	EXPECT_USER(1001, 0, 0);
}

/*
 * Refunds: a shrink gives back its pages at once; an unlinked region
 * gives back its charge when its last file closes, not before; a closed
 * region that keeps its name keeps its charge until the unlink.
 */
TEST_F(acct, refunds)
{
	const long P = self->psz;
	const char *a = nm(self, "a"), *b = nm(self, "b"), *c = nm(self, "c"),
		   *d = nm(self, "d");
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int n = child_as(self, 1001, 16 * P), fa, fb, fc, fd;

		fa = create(n, a, 16 * P);
		C(fa >= 0);
		C(create(n, b, P) == -1 && errno == ENOMEM);
		C(!shmdev_set_size(fa, 8 * P));			/* shrink */
		C(charge_is(fa, 1001, 8 * P));
		fb = create(n, b, 8 * P);
		C(fb >= 0, "the shrink gave nothing back");
		C(shmdev_set_size(fb, 8 * P + 1) == -1 && errno == ENOMEM);
		C(!ftruncate(fa, 0));				/* shrink by ftruncate */
		C(charge_is(fa, NOBODY, 0));
		C(!ftruncate(fb, 16 * P), "ftruncate's shrink gave nothing back");

		/* Unlinked but open: still charged. */
		C(!shmdev_unlink_name(n, b));
		C(create(n, c, P) == -1 && errno == ENOMEM);
		C(charge_is(fb, 1001, 16 * P));
		close(fb);
		fc = create(n, c, 16 * P);
		C(fc >= 0, "closing the unlinked region gave nothing back");

		/* Closed but named: still charged until the unlink. */
		close(fc);
		C(create(n, d, P) == -1 && errno == ENOMEM);
		C(!shmdev_unlink_name(n, c));
		fd = create(n, d, 16 * P);
		C(fd >= 0, "unlinking the unheld region gave nothing back");
		C(!shmdev_unlink_name(n, a));
		close(fa);
		_exit(0);
	}
	CHILD_PASSES(pid);
	EXPECT_USER(1001, 1, 16 * P);
	EXPECT_EQ(ENOENT, name_errno(self->dev, a));
	EXPECT_EQ(ENOENT, name_errno(self->dev, b));
	EXPECT_EQ(ENOENT, name_errno(self->dev, c));
	EXPECT_EQ(0, shmdev_unlink_name(self->dev, d));
	EXPECT_USER(1001, 0, 0);
}

/* Drops @cap from the effective, permitted and inheritable sets. */
static int drop_cap(int cap)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	d[cap / 32].effective &= ~(1U << (cap % 32));
	d[cap / 32].permitted &= ~(1U << (cap % 32));
	d[cap / 32].inheritable &= ~(1U << (cap % 32));
	return syscall(SYS_capset, &h, d);
}

/*
 * CAP_IPC_LOCK bypasses RLIMIT_MEMLOCK (the charge is still counted);
 * root without it is limited like anyone, and may still shrink.
 */
TEST_F(acct, cap_ipc_lock_bypasses_limit)
{
	const long P = self->psz;
	const char *a = nm(self, "a"), *b = nm(self, "b");
	struct sd_user_row root0, root1;
	struct rlimit zero = { 0, 0 };
	int fd;
	pid_t pid;

	ASSERT_LE(0, sd_user_row(0, &root0, NULL));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fa;

		C(!setrlimit(RLIMIT_MEMLOCK, &zero));
		fa = create(self->dev, a, 32 * P);
		C(fa >= 0);
		C(charge_is(fa, 0, 32 * P));
		C(!shmdev_set_size(fa, 48 * P));
		C(charge_is(fa, 0, 48 * P));
		_exit(0);
	}
	CHILD_PASSES(pid);
	ASSERT_EQ(1, sd_user_row(0, &root1, NULL));
	EXPECT_EQ(root0.reserved + 48 * P, root1.reserved);
	EXPECT_EQ(root0.regions + 1, root1.regions);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fa, fb;

		C(!setrlimit(RLIMIT_MEMLOCK, &zero));
		C(!drop_cap(CAP_IPC_LOCK));
		C(create(self->dev, b, P) == -1 && errno == ENOMEM);
		C(name_errno(self->dev, b) == ENOENT);
		fb = create(self->dev, b, 0);
		C(fb >= 0);
		C(shmdev_set_size(fb, 1) == -1 && errno == ENOMEM);
		fa = shmdev_open_name(self->dev, a, 0, 0, 0);
		C(fa >= 0);
		C(shmdev_set_size(fa, 49 * P) == -1 && errno == ENOMEM);
		C(shmdev_get_size(fa) == (__u64)(48 * P));
		C(!shmdev_set_size(fa, 16 * P), "a shrink by the payer failed");
		C(charge_is(fa, 0, 16 * P));
		C(ftruncate(fa, 17 * P) == -1 && errno == ENOMEM);
		C(charge_is(fa, 0, 16 * P));
		_exit(0);
	}
	CHILD_PASSES(pid);
	ASSERT_EQ(1, sd_user_row(0, &root1, NULL));
	EXPECT_EQ(root0.reserved + 16 * P, root1.reserved);
	fd = shmdev_open_name(self->dev, a, 0, 0, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(16ULL * P, shmdev_get_size(fd));
	close(fd);
	EXPECT_EQ(0, shmdev_unlink_name(self->dev, a));
	EXPECT_EQ(0, shmdev_unlink_name(self->dev, b));
	ASSERT_LE(0, sd_user_row(0, &root1, NULL));
	EXPECT_EQ(root0.reserved, root1.reserved);
}

/*
 * max_total_size bounds the sum of every region's reserved bytes, for
 * root too: ENOSPC, nothing changed; ENOSPC comes before ENOMEM.
 */
TEST_F(acct, max_total_size_enospc)
{
	const long P = self->psz;
	const char *a = nm(self, "a"), *b = nm(self, "b"), *c = nm(self, "c");
	struct sd_user_row r0, r1;
	unsigned long long total = 0;
	struct stat st;
	int fa, fb;
	pid_t pid;

	ASSERT_EQ(0, stat(SHMDEV_PARAMS "/max_total_size", &st));
	EXPECT_EQ(0644U, st.st_mode & 07777);
	self->max_total = sd_param("max_total_size");
	ASSERT_LT(0, self->max_total);
	ASSERT_LE(0, sd_user_row(0, &r0, &total));
	TH_LOG("%llu bytes reserved by all users; max_total_size %lld",
	       total, self->max_total);
	ASSERT_EQ(0, sd_set_param("max_total_size", total + 8 * P));

	fa = create(self->dev, a, 8 * P);
	ASSERT_LE(0, fa);
	EXPECT_EQ(-1, create(self->dev, b, 1));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(ENOENT, name_errno(self->dev, b));
	EXPECT_EQ(-1, shmdev_set_size(fa, 8 * P + 1));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(-1, ftruncate(fa, 9 * P));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(8ULL * P, shmdev_get_size(fa));
	EXPECT_TRUE(charge_is(fa, 0, 8 * P));
	ASSERT_EQ(1, sd_user_row(0, &r1, NULL));
	EXPECT_EQ(r0.reserved + 8 * P, r1.reserved);

	/* An unprivileged user: ENOSPC before ENOMEM, and nothing else. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int d = child_as(self, 1001, 0);

		C(create(d, c, P) == -1 && errno == ENOSPC);
		C(name_errno(d, c) == ENOENT);
		_exit(0);
	}
	CHILD_PASSES(pid);
	EXPECT_USER(1001, 0, 0);

	/* Room again after a shrink. */
	ASSERT_EQ(0, shmdev_set_size(fa, 4 * P));
	fb = create(self->dev, b, 4 * P);
	ASSERT_LE(0, fb);
	EXPECT_EQ(-1, shmdev_set_size(fb, 4 * P + 1));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(4ULL * P, shmdev_get_size(fb));

	/* A larger bound lets it grow. */
	ASSERT_EQ(0, sd_set_param("max_total_size", total + 16 * P));
	EXPECT_EQ(0, shmdev_set_size(fb, 12 * P));
	EXPECT_EQ(-1, shmdev_set_size(fb, 12 * P + 1));
	EXPECT_EQ(ENOSPC, errno);
	close(fa);
	close(fb);
	EXPECT_EQ(0, shmdev_unlink_name(self->dev, a));
	EXPECT_EQ(0, shmdev_unlink_name(self->dev, b));
	ASSERT_LE(0, sd_user_row(0, &r1, NULL));
	EXPECT_EQ(r0.reserved, r1.reserved);
}

/*
 * debugfs shmdev/users: one row per user with a charge, its regions,
 * bytes and locked_vm pages; the row goes when the last charge does, and
 * an unlinked region still open keeps its charge.
 */
TEST_F(acct, users_file)
{
	const long P = self->psz;
	const char *u1 = nm(self, "u1"), *u2 = nm(self, "u2"), *u3 = nm(self, "u3");
	unsigned long long total0 = 0, total1 = 0;
	char header[256];
	int fd;
	FILE *f;
	pid_t pid;

	f = fopen(SHMDEV_DEBUGFS "/users", "re");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(header, sizeof(header), f));
	fclose(f);
	TH_LOG("header: %s", header);
	ASSERT_LE(0, sd_user_row(0, NULL, &total0));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int d = child_as(self, 1001, 64 * P);

		C(create(d, u1, 3 * P) >= 0);
		C(create(d, u2, P + 1) >= 0);
		_exit(0);
	}
	CHILD_PASSES(pid);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int d = child_as(self, 1002, 64 * P);

		C(create(d, u3, P) >= 0);
		_exit(0);
	}
	CHILD_PASSES(pid);
	EXPECT_USER(1001, 2, 5 * P);
	EXPECT_USER(1002, 1, P);
	ASSERT_LE(0, sd_user_row(0, NULL, &total1));
	EXPECT_EQ(total0 + 6 * P, total1);

	EXPECT_EQ(0, shmdev_unlink_name(self->dev, u1));
	EXPECT_USER(1001, 1, 2 * P);
	EXPECT_EQ(0, shmdev_unlink_name(self->dev, u2));
	EXPECT_USER(1001, 0, 0);
	EXPECT_USER(1002, 1, P);

	fd = shmdev_open_name(self->dev, u3, 0, 0, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, shmdev_unlink_name(self->dev, u3));
	EXPECT_USER(1002, 1, P);
	close(fd);
	EXPECT_USER(1002, 0, 0);
	ASSERT_LE(0, sd_user_row(0, NULL, &total1));
	EXPECT_EQ(total0, total1);
}

/* In a child of @uid with limit @limit: SET_SIZE (or ftruncate) of @name. */
static int resize_as(FIXTURE_DATA(acct) *self, uid_t uid, unsigned long long limit,
		     const char *name, __u64 size, bool trunc)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int d = child_as(self, uid, limit), fd;

		fd = shmdev_open_name(d, name, 0, 0, 0);
		C(fd >= 0);
		if (trunc)
			_exit(ftruncate(fd, size) ? errno : 0);
		_exit(shmdev_set_size(fd, size) ? errno : 0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Root's view of region @name: its size and charge. */
static bool region_is(FIXTURE_DATA(acct) *self, const char *name, __u64 size,
		      __u32 uid, __u64 bytes)
{
	int fd = shmdev_open_name(self->dev, name, 0, SHMDEV_OPEN_RDONLY, 0);
	bool ok;

	if (fd < 0)
		return false;
	ok = shmdev_get_size(fd) == size && charge_is(fd, uid, bytes);
	if (shmdev_get_size(fd) != size)
		fprintf(stderr, "# size %llu, expected %llu\n",
			(unsigned long long)shmdev_get_size(fd),
			(unsigned long long)size);
	close(fd);
	return ok;
}

/*
 * The charge follows whoever last set the size: another user's resize
 * takes the whole charge (against that user's limit: ENOMEM, nothing
 * changed, when it does not fit, also for a shrink) and refunds the
 * previous payer; ftruncate does the same.
 */
TEST_F(acct, charge_moves_to_resizer)
{
	const long P = self->psz;
	const char *r = nm(self, "r");
	struct sd_list_row rows[64];
	const struct sd_list_row *row;
	struct shmdev_info info;
	int rn, fd;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int d = child_as(self, 1001, 64 * P);

		C(create(d, r, 4 * P) >= 0);
		_exit(0);
	}
	CHILD_PASSES(pid);
	EXPECT_TRUE(region_is(self, r, 4 * P, 1001, 4 * P));
	EXPECT_USER(1001, 1, 4 * P);

	/* 1002 cannot take 6 pages with a limit of 5. */
	EXPECT_EQ(ENOMEM, resize_as(self, 1002, 5 * P, r, 6 * P, false));
	EXPECT_TRUE(region_is(self, r, 4 * P, 1001, 4 * P));
	EXPECT_USER(1001, 1, 4 * P);
	EXPECT_USER(1002, 0, 0);
	/* Nor shrink it to 2 pages with a limit of 1: the payer would change. */
	EXPECT_EQ(ENOMEM, resize_as(self, 1002, P, r, 2 * P, false));
	EXPECT_TRUE(region_is(self, r, 4 * P, 1001, 4 * P));
	EXPECT_USER(1002, 0, 0);

	/* With room, 1002 takes it all. */
	EXPECT_EQ(0, resize_as(self, 1002, 16 * P, r, 6 * P, false));
	EXPECT_TRUE(region_is(self, r, 6 * P, 1002, 6 * P));
	EXPECT_USER(1001, 0, 0);
	EXPECT_USER(1002, 1, 6 * P);
	rn = sd_list_read(SHMDEV_LIST_PATH, NULL, 0, rows, ARRAY_SIZE(rows));
	ASSERT_LT(0, rn);
	fd = shmdev_open_name(self->dev, r, 0, SHMDEV_OPEN_RDONLY, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, shmdev_info(fd, &info));
	close(fd);
	EXPECT_EQ(1001U, info.uid);		/* the owner stays */
	row = sd_list_find(rows, rn, info.id);
	ASSERT_NE(NULL, row);
	EXPECT_STREQ("1002", row->charged_uid);
	EXPECT_EQ(6ULL * P, row->charged);
	EXPECT_EQ(1001, row->uid);

	/* The payer's shrink refunds the difference. */
	EXPECT_EQ(0, resize_as(self, 1002, 16 * P, r, 2 * P, false));
	EXPECT_TRUE(region_is(self, r, 2 * P, 1002, 2 * P));
	EXPECT_USER(1002, 1, 2 * P);

	/* ftruncate by 1001 moves it back. */
	EXPECT_EQ(0, resize_as(self, 1001, 16 * P, r, 3 * P, true));
	EXPECT_TRUE(region_is(self, r, 3 * P, 1001, 3 * P));
	EXPECT_USER(1001, 1, 3 * P);
	EXPECT_USER(1002, 0, 0);
	/* Root's resize (CAP_IPC_LOCK) takes it too. */
	fd = shmdev_open_name(self->dev, r, 0, 0, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, shmdev_set_size(fd, 5 * P));
	EXPECT_TRUE(charge_is(fd, 0, 5 * P));
	EXPECT_USER(1001, 0, 0);
	close(fd);

	EXPECT_EQ(0, shmdev_unlink_name(self->dev, r));
	EXPECT_USER(1001, 0, 0);
	EXPECT_USER(1002, 0, 0);
}

/*
 * ftruncate charges exactly as SET_SIZE: by whole pages, ENOMEM past the
 * limit with the size unchanged, a refund on shrink.
 */
TEST_F(acct, ftruncate_charges)
{
	const long P = self->psz;
	const char *f = nm(self, "f");
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int d = child_as(self, 1001, 4 * P), fd;

		fd = create(d, f, 0);
		C(fd >= 0);
		C(charge_is(fd, NOBODY, 0));
		C(!ftruncate(fd, 3 * P + 1));
		C(charge_is(fd, 1001, 4 * P));
		C(ftruncate(fd, 4 * P + 1) == -1 && errno == ENOMEM);
		C(shmdev_get_size(fd) == (__u64)(3 * P + 1));
		C(charge_is(fd, 1001, 4 * P));
		C(!ftruncate(fd, 1));
		C(charge_is(fd, 1001, P));
		C(!shmdev_set_size(fd, 4 * P));
		C(charge_is(fd, 1001, 4 * P));
		C(!ftruncate(fd, 0));
		C(charge_is(fd, NOBODY, 0));
		C(!ftruncate(fd, 2 * P));
		_exit(0);
	}
	CHILD_PASSES(pid);
	EXPECT_USER(1001, 1, 2 * P);
	EXPECT_EQ(0, shmdev_unlink_name(self->dev, f));
	EXPECT_USER(1001, 0, 0);
}

/*
 * An AUTOREMOVE region whose only holder (a mapping) is killed with
 * SIGKILL gives its charge back: the user's row goes, and the user can
 * charge the whole limit again.
 */
TEST_F(acct, autoremove_kill_refunds)
{
	const long P = self->psz;
	const char *n = nm(self, "auto"), *m = nm(self, "again");
	int pfd[2], found = 1;
	char ok = 0;
	pid_t pid;

	ASSERT_EQ(0, pipe2(pfd, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int d = child_as(self, 1001, 8 * P), fd;
		char *p;

		close(pfd[0]);
		fd = shmdev_open_name(d, n, 8 * P, SHMDEV_OPEN_CREATE | SHMDEV_OPEN_EXCL |
				      SHMDEV_OPEN_AUTOREMOVE, 0600);
		C(fd >= 0);
		p = mmap(NULL, 8 * P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		C(p != MAP_FAILED);
		for (int i = 0; i < 8; i++)
			p[i * P] = 1;
		close(fd);
		C(write(pfd[1], "k", 1) == 1);
		for (;;)
			pause();
	}
	close(pfd[1]);
	ASSERT_EQ(1, read(pfd[0], &ok, 1)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		TH_LOG("child: %s", self->fail->why);
	}
	close(pfd[0]);
	EXPECT_USER(1001, 1, 8 * P);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_TRUE(child_killed_by(pid, SIGKILL));
	for (double end = sd_now() + 5; sd_now() < end; usleep(10000)) {
		found = sd_user_row(1001, NULL, NULL);
		if (found <= 0)
			break;
	}
	EXPECT_EQ(0, found) TH_LOG("user 1001 still charged after the kill");
	EXPECT_USER(1001, 0, 0);
	EXPECT_EQ(ENOENT, name_errno(self->dev, n));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int d = child_as(self, 1001, 8 * P);

		C(create(d, m, 8 * P) >= 0, "the limit has no room again");
		C(!shmdev_unlink_name(d, m));
		_exit(0);
	}
	CHILD_PASSES(pid);
	EXPECT_USER(1001, 0, 0);
}

SHMDEV_TEST_MAIN

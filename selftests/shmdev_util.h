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

/* NOTIFY through @fd: the new sequence, or ~0 on error. */
static inline __u64 notify(int fd)
{
	__u64 seq = ~0ULL;

	if (ioctl(fd, SHMDEV_IOC_NOTIFY, &seq))
		return ~0ULL;
	return seq;
}

/* WAIT for @*seq to move; 0 or -errno, @*seq updated on success. */
static inline int wait_seq(int fd, __u64 *seq, __s64 timeout_ns)
{
	struct shmdev_wait w = { .seq = *seq, .timeout_ns = timeout_ns };

	if (ioctl(fd, SHMDEV_IOC_WAIT, &w))
		return -errno;
	*seq = w.seq;
	return 0;
}

/* The region's sequence from GET_INFO, or ~0 on error. */
static inline __u64 info_seq(int fd)
{
	struct shmdev_info info;

	if (shmdev_info(fd, &info))
		return ~0ULL;
	return info.seq;
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

/*
 * ---------------------------------------------------------------------
 * Named regions, users and the listings (names_test, account_test).
 * ---------------------------------------------------------------------
 */

#include <grp.h>
#include <sys/utsname.h>

#define SHMDEV_LIST_PATH	"/proc/shmdev/regions"
#define SHMDEV_DEBUGFS		"/sys/kernel/debug/shmdev"
#define SHMDEV_PARAMS		"/sys/module/shmdev/parameters"

/* SHMDEV_IOC_OPEN of @name (shorter than SHMDEV_NAME_MAX) through @fd. */
static inline int shmdev_open_name(int fd, const char *name, __u64 size,
				   __u32 flags, __u32 mode)
{
	struct shmdev_open op;
	size_t len;

	memset(&op, 0, sizeof(op));
	len = strlen(name);
	memcpy(op.name, name, len < sizeof(op.name) ? len : sizeof(op.name) - 1);
	op.size = size;
	op.flags = flags;
	op.mode = mode;
	return ioctl(fd, SHMDEV_IOC_OPEN, &op);
}

static inline int shmdev_unlink_name(int fd, const char *name)
{
	struct shmdev_name n;
	size_t len;

	memset(&n, 0, sizeof(n));
	len = strlen(name);
	memcpy(n.name, name, len < sizeof(n.name) ? len : sizeof(n.name) - 1);
	return ioctl(fd, SHMDEV_IOC_UNLINK, &n);
}

/*
 * Becomes user @uid of group @gid with the @ngroups supplementary groups
 * in @groups: no uid 0 is left, so no capability either. 0 or -1.
 */
static inline int sd_become(uid_t uid, gid_t gid, const gid_t *groups,
			    int ngroups)
{
	if (setgroups(ngroups, groups) || setresgid(gid, gid, gid) ||
	    setresuid(uid, uid, uid))
		return -1;
	return 0;
}

/*
 * In a forked child (never an ASSERT there: it would run the fixture's
 * teardown in the child): records the first failed check, with the line
 * and errno, in @f, which the parent prints, and exits 1.
 */
#define SD_CHILD_CHECK(f, cond, fmt, ...) do {				\
	int e_ = errno;							\
	if (!(cond)) {							\
		record_failure(f, "line %d: %s (errno %d %s): " fmt,	\
			       __LINE__, #cond, e_, strerror(e_),	\
			       ##__VA_ARGS__);				\
		_exit(1);						\
	}								\
} while (0)

/* Major and minor version of the running kernel, from uname(). */
static inline void sd_kernel_version(int *major, int *minor)
{
	struct utsname u;

	*major = *minor = 0;
	if (!uname(&u))
		sscanf(u.release, "%d.%d", major, minor);
}

/* One line of /proc/shmdev/regions, its columns as the brief names them. */
struct sd_list_row {
	unsigned int id;
	char name[4 * SHMDEV_NAME_MAX + 1];	/* as printed (escaped) */
	long long uid, gid;
	char mode[16];				/* as printed: "0640" */
	unsigned long long size, pages, mappings, files, seq;
	char charged_uid[24];			/* as printed: "1001" or "-" */
	unsigned long long charged;
	char flags[16];
};

/*
 * Reads the listing at @path: its header into @header (whitespace
 * collapsed to single spaces), up to @max rows into @rows. Returns the
 * number of rows, -errno when the file cannot be read, -EBADMSG when a
 * line does not parse.
 */
static inline int sd_list_read(const char *path, char *header, size_t hlen,
			       struct sd_list_row *rows, int max)
{
	FILE *f = fopen(path, "re");
	char line[1024];
	int n = 0, ret = 0;

	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -EBADMSG;
	}
	if (header && hlen) {
		char *tok, *save = NULL;

		header[0] = 0;
		for (tok = strtok_r(line, " \t\n", &save); tok;
		     tok = strtok_r(NULL, " \t\n", &save)) {
			if (header[0])
				strncat(header, " ", hlen - strlen(header) - 1);
			strncat(header, tok, hlen - strlen(header) - 1);
		}
	}
	while (fgets(line, sizeof(line), f)) {
		struct sd_list_row r;

		memset(&r, 0, sizeof(r));
		if (sscanf(line, "%u %256s %lld %lld %15s %llu %llu %llu %llu %llu %23s %llu %15s",
			   &r.id, r.name, &r.uid, &r.gid, r.mode, &r.size,
			   &r.pages, &r.mappings, &r.files, &r.seq,
			   r.charged_uid, &r.charged, r.flags) != 13) {
			ret = -EBADMSG;
			break;
		}
		if (n < max)
			rows[n] = r;
		n++;
	}
	fclose(f);
	return ret ? ret : n;
}

/* The row of region @id among @n rows, or NULL. */
static inline const struct sd_list_row *sd_list_find(const struct sd_list_row *rows,
						     int n, unsigned int id)
{
	for (int i = 0; i < n; i++)
		if (rows[i].id == id)
			return &rows[i];
	return NULL;
}

/*
 * Whether debugfs shmdev/regions (every region of every namespace, named
 * or not) has a line for region @id: 1, 0, or -errno.
 */
static inline int sd_debugfs_has_region(unsigned int id)
{
	FILE *f = fopen(SHMDEV_DEBUGFS "/regions", "re");
	char line[1024];
	int found = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned int v;
		char c;

		if (sscanf(line, " %u%c", &v, &c) == 2 && (c == ' ' || c == '\t') &&
		    v == id) {
			found = 1;
			break;
		}
	}
	fclose(f);
	return found;
}

/* Lines of a text file after its header line (a table), or -1. */
static inline int sd_table_rows(const char *path)
{
	char line[512];
	FILE *f = fopen(path, "re");
	int n = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n;
}

/* The number of regions in debugfs shmdev/regions, or -errno. */
static inline int sd_debugfs_count_regions(void)
{
	FILE *f = fopen(SHMDEV_DEBUGFS "/regions", "re");
	char line[1024];
	int n = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned int v;
		char c;

		if (sscanf(line, " %u%c", &v, &c) == 2 && (c == ' ' || c == '\t'))
			n++;
	}
	fclose(f);
	return n;
}

/* A line of debugfs shmdev/users. */
struct sd_user_row {
	unsigned int uid;
	unsigned long long regions, reserved, locked_vm_pages;
};

/*
 * Reads debugfs shmdev/users: the row of @uid into @row, 1 when it has
 * one, 0 when not, -errno (-EBADMSG when a line does not parse). With
 * @total, the sum of every user's reserved bytes.
 */
static inline int sd_user_row(unsigned int uid, struct sd_user_row *row,
			      unsigned long long *total)
{
	FILE *f = fopen(SHMDEV_DEBUGFS "/users", "re");
	char line[512];
	int found = 0, ret = 0;

	if (!f)
		return -errno;
	if (total)
		*total = 0;
	if (row)
		memset(row, 0, sizeof(*row));
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -EBADMSG;
	}
	while (fgets(line, sizeof(line), f)) {
		struct sd_user_row r;

		if (sscanf(line, "%u %llu %llu %llu", &r.uid, &r.regions,
			   &r.reserved, &r.locked_vm_pages) != 4) {
			ret = -EBADMSG;
			break;
		}
		if (total)
			*total += r.reserved;
		if (r.uid == uid) {
			found++;
			if (row)
				*row = r;
		}
	}
	fclose(f);
	if (ret)
		return ret;
	return found > 1 ? -EBADMSG : found;
}

/* A module parameter's value, or -1. */
static inline long long sd_param(const char *name)
{
	char path[128];
	unsigned long long v;

	snprintf(path, sizeof(path), SHMDEV_PARAMS "/%s", name);
	return read_u64(path, &v) ? -1 : (long long)v;
}

static inline int sd_set_param(const char *name, unsigned long long v)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), SHMDEV_PARAMS "/%s", name);
	snprintf(buf, sizeof(buf), "%llu", v);
	return write_text(path, buf);
}

#endif /* SHMDEV_UTIL_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * shmdev-fuzz: named regions. SHMDEV_IOC_OPEN and SHMDEV_IOC_UNLINK with
 * good and bad arguments, the region files they return (which the rest of
 * the fuzzer then reads, writes, maps and queries like those of
 * /dev/shmdev), fstat/ftruncate/fchmod/fchown on them, and checks of the
 * listing /proc/shmdev/regions, of /proc/self/maps and /proc/self/fd, and
 * of the per-user charge in debugfs.
 *
 * The fuzzer owns NNAMES names that start with "shmdev-fuzz.PID.", so
 * that what it finds under them is what it made: OPEN's ENOENT and
 * EEXIST, the data and sequence of each region, which regions a name
 * reaches, are all known. Logs name them n0 to n5 (never the PID), so
 * that a seed logs the same trace each time. At the end it unlinks every
 * name it left and checks that the listing shows none of them and that
 * its charge went back to what it was.
 *
 * The module's limits (max_size, max_regions, max_total_size) are read at
 * the start, and what other regions reserve from debugfs, so that EFBIG
 * and ENOSPC are predicted exactly too. Without debugfs (not root) the
 * model assumes nothing else is reserved and makes no accounting checks.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/shmdev.h>

#include "fuzz.h"

#define LISTING		"/proc/shmdev/regions"
#define DEBUGFS_USERS	"/sys/kernel/debug/shmdev/users"
#define DEBUGFS_REGIONS	"/sys/kernel/debug/shmdev/regions"
#define PARAM(name)	"/sys/module/shmdev/parameters/" name

#define OPEN_FLAGS	(SHMDEV_OPEN_CREATE | SHMDEV_OPEN_EXCL | SHMDEV_OPEN_RDONLY | \
			 SHMDEV_OPEN_CLOEXEC | SHMDEV_OPEN_AUTOREMOVE | SHMDEV_OPEN_NOHUGE)

/* ---- Regions' lifetime and charge ---- */

static bool region_held(int reg)
{
	for (int i = 0; i < NFILES; i++)
		if (m.file[i].fd >= 0 && m.file[i].reg == reg)
			return true;
	for (int i = 0; i < NMAPS; i++)
		if (m.map[i].p && m.map[i].reg == reg)
			return true;
	return false;
}

/*
 * After a file or mapping went away or a name was unlinked: a region that
 * nothing holds loses its name if it was created AUTOREMOVE, and is
 * destroyed (its charge returned) once it has no name.
 */
void region_gc(void)
{
	for (int reg = 1; reg < NREGIONS; reg++) {
		struct region_model *rg = &m.reg[reg];

		if (!rg->used || region_held(reg))
			continue;
		if (rg->name >= 0 && rg->autoremove) {
			m.linked[rg->name] = -1;
			rg->name = -1;
		}
		if (rg->name < 0)
			rg->used = false;
	}
}

/* Bytes reserved by the regions of the model. */
static uint64_t ours_reserved(void)
{
	uint64_t sum = 0;

	for (int i = 0; i < NREGIONS; i++)
		if (m.reg[i].used)
			sum += reserved_of(&m.reg[i]);
	return sum;
}

/*
 * The outcome of reserving @grow more bytes (0: a shrink, which never
 * fails for the payer, who is always this process's user here). The order
 * of the module-wide limit and the caller's RLIMIT_MEMLOCK is left open
 * for a resize, so either errno is accepted where both are exceeded.
 */
static struct outcome charge_expect(uint64_t grow)
{
	uint64_t pages = (ours_reserved() + grow) / psz + m.user_locked0;
	bool total = m.others_reserved + ours_reserved() + grow > m.max_total;
	bool memlock = !m.root && pages > m.memlock / psz;
	struct outcome o = ok(0);

	if (!grow)
		return o;
	if (total)
		o = error(ENOSPC);
	if (memlock && total)
		o.alt = ENOMEM;
	else if (memlock)
		o = error(ENOMEM);
	return o;
}

struct outcome resize_expect(const struct region_model *rg, uint64_t size)
{
	uint64_t now = reserved_of(rg), next;

	if (size > m.max_size)
		return error(EFBIG);
	next = pages_of(size) * psz;
	return charge_expect(next > now ? next - now : 0);
}

/* A new region's outcome: EFBIG, then ENOSPC (count or total), then ENOMEM. */
static struct outcome create_expect(uint64_t size)
{
	uint64_t regions = m.others_regions;
	struct outcome o;

	if (size > m.max_size)
		return error(EFBIG);
	for (int i = 1; i < NREGIONS; i++)
		regions += m.reg[i].used;
	if (regions >= m.max_regions)
		return error(ENOSPC);
	o = charge_expect(pages_of(size) * psz);
	if (o.alt) {	/* at creation the order is given */
		o.alt = 0;
		o.err = ENOSPC;
	}
	return o;
}

static int region_new(int name, uint64_t size, uint32_t mode, uint32_t flags)
{
	for (int reg = 1; reg < NREGIONS; reg++) {
		struct region_model *rg = &m.reg[reg];

		if (rg->used)
			continue;
		memset(rg->shadow, 0, SHADOW_BYTES);
		*rg = (struct region_model){
			.used = true, .name = name,
			.autoremove = flags & SHMDEV_OPEN_AUTOREMOVE,
			.nohuge = flags & SHMDEV_OPEN_NOHUGE,
			.serial = ++m.serials, .uid = geteuid(), .gid = getegid(),
			.mode = mode & 0777 & ~m.umask, .shadow = rg->shadow,
		};
		strcpy(rg->path, "shmdev:");
		strcat(rg->path, m.names[name]);
		model_resize(rg, size);
		m.linked[name] = reg;
		return reg;
	}
	fprintf(stderr, "shmdev-fuzz: the model has no room for another region\n");
	abort();
}

/* May the caller open @rg for reading (and writing unless @rdonly)? */
static bool may_open(const struct region_model *rg, bool rdonly)
{
	uint32_t need = rdonly ? 4 : 6, bits;

	if (m.root)
		return true;	/* CAP_DAC_OVERRIDE */
	if (rg->uid == geteuid())
		bits = rg->mode >> 6;
	else if (rg->gid == getegid())
		bits = rg->mode >> 3;
	else
		bits = rg->mode;
	return (bits & need) == need;
}

/* ---- Files ---- */

/* A random file of the driver: f0 to f2 are always open. */
int pick_file(void)
{
	for (;;) {
		int fi = R(NFILES);

		if (m.file[fi].fd >= 0)
			return fi;
	}
}

void close_file(int fi)
{
	describe("close(%s)", file_name(fi));
	check_ret(ok(0), close(m.file[fi].fd));
	m.file[fi].fd = -1;
	region_gc();
}

/* ---- Names ---- */

enum name_kind { N_OWN, N_EMPTY, N_SLASH, N_LONG, N_LONG_SLASH };

/*
 * Fills @name (SHMDEV_NAME_MAX bytes) with one of the fuzzer's names or a
 * bad one; returns the name's index or -1, with the outcome a bad name
 * gets in @err and its description in @what.
 */
static int random_name(char *name, struct outcome *err, char *what, size_t n)
{
	enum name_kind kind;
	int ni = -1;

	switch (R(16)) {
	case 0: kind = N_EMPTY; break;
	case 1: kind = N_SLASH; break;
	case 2: kind = N_LONG; break;
	case 3: kind = N_LONG_SLASH; break;
	default: kind = N_OWN; break;
	}
	/* Junk after the NUL, '/' included, which the module must ignore. */
	for (int i = 0; i < SHMDEV_NAME_MAX; i++)
		name[i] = R(4) ? "ab/ \\"[R(5)] : (char)R(256);
	*err = ok(0);
	switch (kind) {
	case N_OWN: {
		size_t len;

		ni = R(NNAMES);
		len = strlen(m.names[ni]);
		memcpy(name, m.names[ni], len);
		name[len] = '\0';
		if (R(2))
			memset(name + len, 0, SHMDEV_NAME_MAX - len);
		snprintf(what, n, "n%d", ni);
		break;
	}
	case N_EMPTY:
		name[0] = '\0';
		*err = error(EINVAL);
		snprintf(what, n, "empty");
		break;
	case N_SLASH:
		snprintf(name, SHMDEV_NAME_MAX, "%sa/b", m.prefix);
		*err = error(EINVAL);
		snprintf(what, n, "with '/'");
		break;
	case N_LONG:
	case N_LONG_SLASH:
		memset(name, 'x', SHMDEV_NAME_MAX);
		memcpy(name, m.prefix, strlen(m.prefix));
		if (kind == N_LONG_SLASH)
			name[strlen(m.prefix) + R(SHMDEV_NAME_MAX - strlen(m.prefix))] = '/';
		/* The length is checked first: no NUL is ENAMETOOLONG. */
		*err = error(ENAMETOOLONG);
		snprintf(what, n, "64 bytes without NUL%s", kind == N_LONG ? "" : ", with '/'");
		break;
	}
	return ni;
}

static void flags_str(uint32_t flags, char *s, size_t n)
{
	static const char *const names[] = {
		"CREATE", "EXCL", "RDONLY", "CLOEXEC", "AUTOREMOVE", "NOHUGE",
	};
	size_t len = 0;

	s[0] = '\0';
	for (int i = 0; i < 6; i++)
		if (flags & (1u << i))
			len += snprintf(s + len, n - len, "%s%s", len ? "|" : "", names[i]);
	if (flags & ~OPEN_FLAGS)
		len += snprintf(s + len, n - len, "%s0x%x", len ? "|" : "", flags & ~OPEN_FLAGS);
	if (!len)
		snprintf(s, n, "0");
}

/*
 * SHMDEV_IOC_OPEN through file @fi, with a name of the fuzzer's or a bad
 * one, random flags, mode and size, and now and then a bad pointer or
 * reserved bits. A new file goes into one of the region files' slots.
 */
void fuzz_open(int fi)
{
	struct shmdev_open *o = (void *)m.buf;
	enum ptr_kind k = pick_ptr();
	bool create, rdonly;
	struct outcome want;
	char what[48] = "", fl[80], extra[200] = "";
	struct outcome name_err = ok(0);
	int ni = -1, slot, reg = -1;
	uint32_t flags = 0;
	long ret;

	memset(o, 0, sizeof(*o));
	if (k == P_BUF) {
		ni = random_name(o->name, &name_err, what, sizeof(what));
		flags |= R(10) < 6 ? SHMDEV_OPEN_CREATE : 0;
		create = flags & SHMDEV_OPEN_CREATE;
		flags |= !R(4) && (create || !R(3)) ? SHMDEV_OPEN_EXCL : 0;
		flags |= !R(3) ? SHMDEV_OPEN_RDONLY : 0;
		flags |= R(2) ? SHMDEV_OPEN_CLOEXEC : 0;
		flags |= !R(5) && (create || !R(3)) ? SHMDEV_OPEN_AUTOREMOVE : 0;
		flags |= !R(4) && (create || !R(3)) ? SHMDEV_OPEN_NOHUGE : 0;
		if (!R(24))
			flags |= 1u << (6 + R(26));
		o->flags = flags;
		o->mode = R(8) ? (uint32_t)R(01000) : (uint32_t)R(1 << 16);
		o->size = R(4) ? R(SHADOW_BYTES + psz) : random_size();
		if (!R(24))
			o->reserved[R(2)] = 1 + R(UINT64_MAX - 1);
		flags_str(flags, fl, sizeof(fl));
		snprintf(extra, sizeof(extra), " [%s, size %" PRIu64 ", %s, mode 0%o%s]",
			 what, (uint64_t)o->size, fl, o->mode,
			 o->reserved[0] || o->reserved[1] ? ", reserved set" : "");
	} else if (k == P_RO) {
		snprintf(extra, sizeof(extra), " [zeroes]");
	}
	create = flags & SHMDEV_OPEN_CREATE;
	rdonly = flags & SHMDEV_OPEN_RDONLY;

	if (readable(k, sizeof(*o)) < sizeof(*o))
		want = error(EFAULT);
	else if (k != P_BUF)	/* zeroes: an empty name */
		want = error(EINVAL);
	else if ((flags & ~OPEN_FLAGS) || o->reserved[0] || o->reserved[1] ||
		 (!create && (flags & (SHMDEV_OPEN_EXCL | SHMDEV_OPEN_AUTOREMOVE |
				       SHMDEV_OPEN_NOHUGE))) ||
		 (create && o->mode > 0777))
		want = error(EINVAL);
	else if (name_err.err)
		want = name_err;
	else if (m.linked[ni] >= 0 && create && (flags & SHMDEV_OPEN_EXCL))
		want = error(EEXIST);
	else if (m.linked[ni] >= 0)
		want = may_open(&m.reg[m.linked[ni]], rdonly) ? ok(0) : error(EACCES);
	else if (!create)
		want = error(ENOENT);
	else
		want = create_expect(o->size);
	slot = NDEV + R(NFILES - NDEV);

	describe("ioctl(%s, OPEN, %s)%s", file_name(fi), ptr_names[k], extra);
	ret = ioctl(m.file[fi].fd, SHMDEV_IOC_OPEN, ptr_of(k, sizeof(*o)));
	check_ret(want, ret < 0 ? -1 : 0);
	if (ret < 0)
		return;

	/* The new file, its mode and close-on-exec flag. */
	if ((fcntl(ret, F_GETFL) & O_ACCMODE) != (rdonly ? O_RDONLY : O_RDWR))
		data_fail("the new file's access mode is 0%o", fcntl(ret, F_GETFL) & O_ACCMODE);
	if (!!(fcntl(ret, F_GETFD) & FD_CLOEXEC) != !!(flags & SHMDEV_OPEN_CLOEXEC))
		data_fail("FD_CLOEXEC is %s", fcntl(ret, F_GETFD) & FD_CLOEXEC ? "set" : "clear");
	reg = m.linked[ni] >= 0 ? m.linked[ni] :
		region_new(ni, o->size, o->mode, flags);

	/* Into its slot; then the file that was there, if any, closes. */
	{
		struct mfile old = m.file[slot];

		m.file[slot] = (struct mfile){
			.fd = ret, .reg = reg, .mode = rdonly ? O_RDONLY : O_RDWR,
			.cloexec = flags & SHMDEV_OPEN_CLOEXEC, .acked = m.reg[reg].seq,
			.gen = ++m.gens,
		};
		if (old.fd >= 0) {
			describe("close(f%d:%s/r%u)", slot, mode_name(old.mode),
				 m.reg[old.reg].serial);
			check_ret(ok(0), close(old.fd));
			region_gc();
		}
	}
}

/* SHMDEV_IOC_UNLINK through file @fi. */
void fuzz_unlink(int fi)
{
	struct shmdev_name *nm = (void *)m.buf;
	enum ptr_kind k = pick_ptr();
	char what[48] = "", extra[80] = "";
	struct outcome want, name_err = ok(0);
	int ni = -1;
	long ret;

	if (k == P_BUF) {
		ni = random_name(nm->name, &name_err, what, sizeof(what));
		snprintf(extra, sizeof(extra), " [%s]", what);
	}
	if (readable(k, sizeof(*nm)) < sizeof(*nm))
		want = error(EFAULT);
	else if (k != P_BUF)
		want = error(EINVAL);
	else if (name_err.err)
		want = name_err;
	else if (m.linked[ni] < 0)
		want = error(ENOENT);
	else
		want = ok(0);	/* the creator may */

	describe("ioctl(%s, UNLINK, %s)%s", file_name(fi), ptr_names[k], extra);
	ret = ioctl(m.file[fi].fd, SHMDEV_IOC_UNLINK, ptr_of(k, sizeof(*nm)));
	check_ret(want, ret);
	if (ret < 0)
		return;
	m.reg[m.linked[ni]].name = -1;
	m.linked[ni] = -1;
	region_gc();
}

/* ---- fstat, ftruncate, fchmod, fchown, /proc/self/fd ---- */

/* The link of /proc/self/fd/N. */
static void check_fd_link(int fi)
{
	char path[64], link[128];
	const char *want = m.reg[m.file[fi].reg].path;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", m.file[fi].fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		data_fail("readlink(%s): %s", path, strerror(errno));
	link[n] = '\0';
	if (strcmp(link, want))
		data_fail("/proc/self/fd links to \"%s\", expected \"%s\"", link, want);
}

static void fuzz_fstat(void)
{
	int fi = pick_file();
	const struct mfile *f = &m.file[fi];
	const struct region_model *rg = &m.reg[f->reg];
	uint64_t blocks = psz / 512;
	struct stat st;
	int ret;

	describe("fstat(%s)", file_name(fi));
	ret = fstat(f->fd, &st);
	check_ret(ok(0), ret);
	if (ret)
		return;
	check_fd_link(fi);
	if (!f->reg) {
		if (!S_ISCHR(st.st_mode))
			data_fail("/dev/shmdev is not a character device: mode 0%o",
				  (unsigned int)st.st_mode);
		return;
	}
	if (st.st_mode != (S_IFREG | rg->mode) || st.st_uid != rg->uid ||
	    st.st_gid != rg->gid || (uint64_t)st.st_size != rg->size ||
	    (uint64_t)st.st_blocks < model_resident(f->reg) * blocks ||
	    (uint64_t)st.st_blocks > pages_of(rg->size) * blocks)
		data_fail("mode 0%o uid %u gid %u size %lld blocks %lld; expected 0%o %u %u %"
			  PRIu64 ", blocks in [%" PRIu64 ", %" PRIu64 "]",
			  (unsigned int)st.st_mode, (unsigned int)st.st_uid,
			  (unsigned int)st.st_gid, (long long)st.st_size,
			  (long long)st.st_blocks, S_IFREG | rg->mode, rg->uid, rg->gid,
			  rg->size, model_resident(f->reg) * blocks, pages_of(rg->size) * blocks);
}

static void fuzz_ftruncate(void)
{
	int fi = pick_file();
	const struct mfile *f = &m.file[fi];
	struct region_model *rg = &m.reg[f->reg];
	int64_t len = R(8) ? (int64_t)random_size() : -1 - (int64_t)R(1000);
	struct outcome want;
	int ret;

	/* Not a regular file, not open for writing, or negative: EINVAL. */
	if (!f->reg || !can_write(f->mode) || len < 0)
		want = error(EINVAL);
	else
		want = resize_expect(rg, len);
	describe("ftruncate(%s, %" PRId64 ")", file_name(fi), len);
	ret = ftruncate(f->fd, len);
	check_ret(want, ret);
	if (!ret)
		model_resize(rg, len);
}

/* A random region file, or -1 when none is open. */
static int pick_region_file(void)
{
	int fi = NDEV + R(NFILES - NDEV);

	for (int i = 0; i < NFILES - NDEV; i++, fi = fi + 1 < NFILES ? fi + 1 : NDEV)
		if (m.file[fi].fd >= 0)
			return fi;
	return -1;
}

/* fchmod or fchown of a region file (never of /dev/shmdev, the node). */
static void fuzz_chmod(void)
{
	int fi = pick_region_file();
	const struct mfile *f = &m.file[fi < 0 ? 0 : fi];
	struct region_model *rg = &m.reg[f->reg];
	bool owner = m.root || rg->uid == geteuid();
	int ret;

	if (fi < 0)
		return;
	if (R(2)) {
		uint32_t mode = R(01000);

		describe("fchmod(%s, 0%o)", file_name(fi), mode);
		ret = fchmod(f->fd, mode);
		check_ret(owner ? ok(0) : error(EPERM), ret);
		if (!ret)
			rg->mode = mode;
	} else {
		static const uint32_t ids[][2] = {
			{ (uint32_t)-1, (uint32_t)-1 }, { 0, 0 }, { 1000, 1000 },
			{ (uint32_t)-1, 4242 },
		};
		int i = R(4);
		uint32_t uid = ids[i][0], gid = ids[i][1];
		bool allowed = m.root || (owner && uid == (uint32_t)-1 && gid == (uint32_t)-1);

		describe("fchown(%s, %d, %d)", file_name(fi), (int)uid, (int)gid);
		ret = fchown(f->fd, uid, gid);
		check_ret(allowed ? ok(0) : error(EPERM), ret);
		if (ret)
			return;
		if (uid != (uint32_t)-1)
			rg->uid = uid;
		if (gid != (uint32_t)-1)
			rg->gid = gid;
	}
}

/* A region file cannot be opened again through /proc/self/fd: ENXIO. */
static void fuzz_proc_reopen(void)
{
	int fi = pick_region_file();
	char path[64];
	int fd;

	if (fi < 0)
		return;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", m.file[fi].fd);
	describe("open(/proc/self/fd of %s)", file_name(fi));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
	check_ret(error(ENXIO), fd);
}

/* ---- /proc/self/maps ---- */

/* @s with '\n' as "\012", as /proc/PID/maps shows paths. */
static void maps_escape(const char *s, char *out, size_t n)
{
	size_t j = 0;

	for (; *s && j + 5 < n; s++) {
		if (*s == '\n')
			j += snprintf(out + j, n - j, "\\012");
		else
			out[j++] = *s;
	}
	out[j] = '\0';
}

static void check_maps(void)
{
	FILE *f;
	char line[512];
	bool seen[NMAPS] = { false };

	describe("read(/proc/self/maps)");
	f = fopen("/proc/self/maps", "re");
	check_ret(ok(0), f ? 0 : -1);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long start;
		char *path;
		int col = 0;

		if (sscanf(line, "%lx-", &start) != 1)
			continue;
		for (int i = 0; i < NMAPS; i++) {
			char want[128];

			if (m.map[i].p != (char *)start)
				continue;
			seen[i] = true;
			/* The path is the sixth column, up to the end of the line. */
			for (path = line; *path && col < 5; col++) {
				path += strcspn(path, " ");
				path += strspn(path, " ");
			}
			path[strcspn(path, "\n")] = '\0';
			maps_escape(m.reg[m.map[i].reg].path, want, sizeof(want));
			if (strcmp(path, want))
				data_fail("map%d of r%u shows \"%s\", expected \"%s\"", i,
					  m.reg[m.map[i].reg].serial, path, want);
		}
	}
	fclose(f);
	for (int i = 0; i < NMAPS; i++)
		if (m.map[i].p && !seen[i])
			data_fail("map%d is not in /proc/self/maps", i);
}

/* ---- The listing ---- */

/* @s as seq_escape() shows it in the listing: space, \t, \n and \\ in octal. */
static void listing_escape(const char *s, char *out, size_t n)
{
	size_t j = 0;

	for (; *s && j + 5 < n; s++) {
		if (strchr(" \t\n\\", *s))
			j += snprintf(out + j, n - j, "\\%03o", (unsigned char)*s);
		else
			out[j++] = *s;
	}
	out[j] = '\0';
}

struct listing_line {
	unsigned int id, uid, gid, mode, mappings, files;
	unsigned long long size, pages, seq, charged;
	char name[4 * SHMDEV_NAME_MAX + 8], charged_uid[16], flags[8];
};

static void check_listing_line(int reg, const struct listing_line *l)
{
	const struct region_model *rg = &m.reg[reg];
	const char *flags = !reg ? "D" : rg->autoremove ? "A" : "-";
	char cuid[16];

	if (reserved_of(rg))
		snprintf(cuid, sizeof(cuid), "%u", rg->charged_uid);
	else
		snprintf(cuid, sizeof(cuid), "-");
	if ((rg->id && l->id != rg->id) || l->uid != rg->uid || l->gid != rg->gid ||
	    l->mode != rg->mode || l->size != rg->size ||
	    l->pages < (unsigned long long)model_resident(reg) ||
	    l->pages > pages_of(rg->size) || l->mappings < (unsigned int)model_maps(reg) ||
	    (int)l->files != model_files(reg) || l->seq != rg->seq ||
	    strcmp(l->charged_uid, cuid) || l->charged != reserved_of(rg) ||
	    strcmp(l->flags, flags))
		data_fail("r%u's line: id %u uid %u gid %u mode %04o size %llu pages %llu "
			  "mappings %u files %u seq %+lld charged %s %llu flags %s; expected "
			  "id %u %u %u %04o %" PRIu64 " [%d, %" PRIu64 "] >=%d %d %+" PRId64
			  " %s %" PRIu64 " %s", rg->serial, l->id, l->uid, l->gid, l->mode,
			  l->size, l->pages, l->mappings, l->files,
			  (long long)(l->seq - rg->seq0), l->charged_uid, l->charged, l->flags,
			  rg->id, rg->uid, rg->gid, rg->mode, rg->size, model_resident(reg),
			  pages_of(rg->size), model_maps(reg), model_files(reg),
			  (int64_t)(rg->seq - rg->seq0), cuid, reserved_of(rg), flags);
}

/*
 * /proc/shmdev/regions: the default region first, then by id; each of
 * the fuzzer's names that is linked on a line of its own that says what
 * the model holds, and no other name with the run's prefix.
 */
static void check_listing(void)
{
	char line[512], esc[NNAMES][4 * SHMDEV_NAME_MAX + 8], prefix[64];
	bool seen[NNAMES] = { false };
	unsigned int last_id = 0;
	int n = 0;
	FILE *f;

	for (int i = 0; i < NNAMES; i++)
		listing_escape(m.names[i], esc[i], sizeof(esc[i]));
	listing_escape(m.prefix, prefix, sizeof(prefix));
	describe("read(" LISTING ")");
	f = fopen(LISTING, "re");
	check_ret(ok(0), f ? 0 : -1);
	if (!f)
		return;
	if (!fgets(line, sizeof(line), f))
		data_fail("no header line");
	while (fgets(line, sizeof(line), f)) {
		struct listing_line l;
		int ni;

		if (sscanf(line, "%u %263s %u %u %o %llu %llu %u %u %llu %15s %llu %7s",
			   &l.id, l.name, &l.uid, &l.gid, &l.mode, &l.size, &l.pages,
			   &l.mappings, &l.files, &l.seq, l.charged_uid, &l.charged,
			   l.flags) != 13)
			data_fail("line %d does not parse: %s", n + 2, line);
		if (!n++) {
			if (l.id != 1 || strcmp(l.name, "-"))
				data_fail("the first line is not the default region's: %s", line);
			check_listing_line(0, &l);
			continue;
		}
		if (l.id <= last_id)
			data_fail("id %u after id %u", l.id, last_id);
		last_id = l.id;
		if (strncmp(l.name, prefix, strlen(prefix)))
			continue;
		for (ni = 0; ni < NNAMES && strcmp(l.name, esc[ni]); ni++)
			;
		if (ni == NNAMES || m.linked[ni] < 0)
			data_fail("lists %s, a name the run does not hold", l.name);
		if (seen[ni])
			data_fail("lists n%d twice", ni);
		seen[ni] = true;
		check_listing_line(m.linked[ni], &l);
		m.reg[m.linked[ni]].id = l.id;
	}
	fclose(f);
	if (!n)
		data_fail("the default region is not listed");
	for (int i = 0; i < NNAMES; i++)
		if (m.linked[i] >= 0 && !seen[i])
			data_fail("n%d (r%u) is not listed", i, m.reg[m.linked[i]].serial);
}

/* ---- Accounting ---- */

/*
 * Sums the reserved bytes of every user in debugfs "users", and finds the
 * line of @uid: its reserved bytes and locked_vm pages (0 without a line).
 * Returns false when the file cannot be read.
 */
static bool read_users(uint32_t uid, uint64_t *total, uint64_t *reserved, uint64_t *locked,
		       bool *has_line)
{
	FILE *f = fopen(DEBUGFS_USERS, "re");
	char line[256];

	*total = *reserved = *locked = 0;
	*has_line = false;
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long u, regions, res, pages;

		if (sscanf(line, "%llu %llu %llu %llu", &u, &regions, &res, &pages) != 4)
			continue;	/* the header */
		*total += res;
		if (u == uid) {
			*reserved = res;
			*locked = pages;
			*has_line = true;
		}
	}
	fclose(f);
	return true;
}

/*
 * The user's line says what the model reserved, on top of what it found;
 * a checked call unless @at_end.
 */
static void check_accounting(bool at_end)
{
	uint64_t total, reserved, locked, want = m.user_reserved0 + ours_reserved();
	bool has_line, read;

	if (!m.know_others)
		return;
	if (!at_end)
		describe("read(" DEBUGFS_USERS ")");
	read = read_users(getuid(), &total, &reserved, &locked, &has_line);
	if (at_end && !read)
		data_fail("%s", strerror(errno));
	if (!at_end)
		check_ret(ok(0), read ? 0 : -1);
	if (reserved != want || locked != m.user_locked0 + ours_reserved() / psz ||
	    has_line != (want != 0) || total != m.others_reserved + ours_reserved())
		data_fail("uid %u %s: reserved %" PRIu64 ", locked_vm %" PRIu64 " pages, all "
			  "users %" PRIu64 "; expected %" PRIu64 ", %" PRIu64 ", %" PRIu64,
			  getuid(), has_line ? "has a line" : "has no line", reserved, locked,
			  total, want, m.user_locked0 + ours_reserved() / psz,
			  m.others_reserved + ours_reserved());
}

/* ---- Another IPC namespace ---- */

/*
 * In a child in a new IPC namespace: OPEN (without CREATE) and UNLINK of
 * one of the run's names, and the listing. The names must be out of
 * reach: ENOENT, or EOPNOTSUPP where the module supports no namespace but
 * the initial one (6.1); the listing shows the default region and no
 * name of the run. Returns the child's exit status: 0 (ENOENT) or 3
 * (EOPNOTSUPP) when so, 1 when not, 2 when the namespace could not be
 * made.
 */
static int other_ns_child(int ni)
{
	struct shmdev_open o = { .flags = 0 };
	struct shmdev_name nm;
	char line[512];
	int fd, ret, err;
	FILE *f;

	if (unshare(CLONE_NEWIPC))
		return 2;
	fd = open("/dev/shmdev", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	strcpy(o.name, m.names[ni]);
	strcpy(nm.name, m.names[ni]);
	ret = ioctl(fd, SHMDEV_IOC_OPEN, &o);
	if (ret >= 0 || (errno != ENOENT && errno != EOPNOTSUPP)) {
		fprintf(stderr, "shmdev-fuzz: OPEN(n%d) in another IPC namespace: %s\n", ni,
			ret >= 0 ? "a file" : strerror(errno));
		return 1;
	}
	err = errno;
	if (ioctl(fd, SHMDEV_IOC_UNLINK, &nm) == 0 || errno != err) {
		fprintf(stderr, "shmdev-fuzz: UNLINK(n%d) in another IPC namespace: %s\n", ni,
			strerror(errno));
		return 1;
	}
	f = fopen(LISTING, "re");
	if (!f)
		return 1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, m.prefix)) {
			fprintf(stderr, "shmdev-fuzz: another IPC namespace lists %s", line);
			return 1;
		}
	fclose(f);
	return err == ENOENT ? 0 : 3;
}

/*
 * Each run of it must find the same one of ENOENT and EOPNOTSUPP (which
 * the first one tells): the kernel's, not the name's or the time's.
 */
static void fuzz_other_ns(void)
{
	static int first = -1;
	int ni = R(NNAMES), status = -1;
	pid_t pid;

	if (!m.root || first == 2)
		return;
	describe("fork(unshare(CLONE_NEWIPC), OPEN and UNLINK of n%d%s)", ni,
		 m.linked[ni] >= 0 ? ", linked" : "");
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		_exit(other_ns_child(ni));
	if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status))
		status = WEXITSTATUS(status);
	if (first < 0)
		first = status;
	if (status == 2)
		fprintf(stderr, "shmdev-fuzz: unshare(CLONE_NEWIPC) failed; no more such calls\n");
	errno = ECHILD;	/* the child said what differed */
	check_ret(ok(0), (status == 0 || status == 3 || status == 2) && status == first ? 0 : -1);
}

/* ---- Another user ---- */

#define NOBODY	65534

/*
 * In a child that became uid and gid NOBODY (no groups, no capabilities):
 * OPEN of one of the run's names, read-only or read-write, without
 * CREATE; UNLINK of it; fchmod of a region file it inherited. The region
 * is never the child's, so the other bits of its mode decide the OPEN
 * (EACCES), and the UNLINK and the fchmod fail EPERM. Returns 0 when every
 * outcome is @want's, else 1 (having said which differed).
 */
static int other_user_child(int ni, bool rdonly, int fi, const struct outcome *want)
{
	struct shmdev_open o = { .flags = rdonly ? SHMDEV_OPEN_RDONLY : 0 };
	struct shmdev_name nm;
	int fd = m.file[0].fd, ret, n = 0;
	const char *what[3] = { "OPEN", "UNLINK", "fchmod" };
	int got[3];

	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
		return 1;
	strcpy(o.name, m.names[ni]);
	strcpy(nm.name, m.names[ni]);
	ret = ioctl(fd, SHMDEV_IOC_OPEN, &o);
	got[n++] = ret < 0 ? errno : 0;
	if (ret >= 0)
		close(ret);
	got[n++] = ioctl(fd, SHMDEV_IOC_UNLINK, &nm) ? errno : 0;
	got[n++] = fi < 0 ? 0 : fchmod(m.file[fi].fd, 0777) ? errno : 0;
	for (int i = 0; i < n; i++)
		if (got[i] != want[i].err) {
			fprintf(stderr, "shmdev-fuzz: as uid %d: %s(n%d): expected %s, got %s\n",
				NOBODY, what[i], ni, strerrorname_np(want[i].err) ?: "0",
				strerrorname_np(got[i]) ?: "0");
			return 1;
		}
	return 0;
}

static void fuzz_other_user(void)
{
	int ni = R(NNAMES), fi = pick_region_file(), reg = m.linked[ni];
	bool rdonly = R(2);
	uint32_t need = rdonly ? 4 : 6;
	struct outcome want[3] = { error(ENOENT), error(ENOENT), ok(0) };
	pid_t pid;

	if (!m.root)
		return;
	if (reg >= 0) {
		want[0] = (m.reg[reg].mode & need) == need ? ok(0) : error(EACCES);
		want[1] = error(EPERM);
	}
	if (fi >= 0)
		want[2] = error(EPERM);
	describe("fork(as uid %d: OPEN(n%d, %s) %s, UNLINK(n%d) %s, fchmod(%s) %s)", NOBODY, ni,
		 rdonly ? "RDONLY" : "0", strerrorname_np(want[0].err) ?: "0", ni,
		 strerrorname_np(want[1].err) ?: "0", fi < 0 ? "-" : file_name(fi),
		 strerrorname_np(want[2].err) ?: "0");
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		_exit(other_user_child(ni, rdonly, fi, want));
	errno = ECHILD;	/* the child said what differed */
	check_ret(ok(0), pid > 0 && child_ok(pid) ? 0 : -1);
}

/* ---- Setup, the operations, the end ---- */

/* Undoes listing_escape(): "\ooo" to its byte. */
static void listing_unescape(const char *s, char *out, size_t n)
{
	size_t j = 0;

	while (*s && j + 1 < n) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			out[j++] = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			out[j++] = *s++;
		}
	}
	out[j] = '\0';
}

/*
 * Unlinks the names that runs killed before their end left (those of
 * processes that no longer exist), so that their regions stop holding
 * memory and counting against the module's limits.
 */
static void remove_stale_names(void)
{
	FILE *f = fopen(LISTING, "re");
	char line[512], esc[4 * SHMDEV_NAME_MAX + 8];
	int fd, removed = 0;

	if (!f)
		return;
	fd = open("/dev/shmdev", O_RDONLY | O_CLOEXEC);
	while (fd >= 0 && fgets(line, sizeof(line), f)) {
		struct shmdev_name nm = { { 0 } };
		unsigned int id;
		int pid;

		if (sscanf(line, "%u %263s", &id, esc) != 2 ||
		    sscanf(esc, "shmdev-fuzz.%d.", &pid) != 1 || pid <= 0 ||
		    !kill(pid, 0) || errno != ESRCH)
			continue;
		listing_unescape(esc, nm.name, sizeof(nm.name));
		removed += !ioctl(fd, SHMDEV_IOC_UNLINK, &nm);
	}
	fclose(f);
	if (fd >= 0)
		close(fd);
	if (removed)
		printf("shmdev-fuzz: unlinked %d names of runs that did not finish\n", removed);
}

static uint64_t param(const char *path, uint64_t dflt)
{
	unsigned long long v;

	return read_u64(path, &v) ? dflt : v;
}

int names_setup(void)
{
	static const mode_t umasks[] = { 022, 0, 077, 027, 0700 };
	uint64_t total, reserved, locked;
	struct rlimit rl;
	bool has_line;
	char line[512];
	FILE *f;
	size_t n;

	/* A name of each shape: short, with escaped bytes, 63 bytes. */
	snprintf(m.prefix, sizeof(m.prefix), "shmdev-fuzz.%d.", (int)getpid());
	n = strlen(m.prefix);
	snprintf(m.names[0], SHMDEV_NAME_MAX, "%sa", m.prefix);
	snprintf(m.names[1], SHMDEV_NAME_MAX, "%sb", m.prefix);
	snprintf(m.names[2], SHMDEV_NAME_MAX, "%sc", m.prefix);
	snprintf(m.names[3], SHMDEV_NAME_MAX, "%ssp ace\\back\ttab", m.prefix);
	memset(m.names[4], 'y', SHMDEV_NAME_MAX - 1);
	memcpy(m.names[4], m.prefix, n);
	m.names[4][SHMDEV_NAME_MAX - 1] = '\0';
	snprintf(m.names[5], SHMDEV_NAME_MAX, "%snew\nline", m.prefix);
	for (int i = 0; i < NNAMES; i++)
		m.linked[i] = -1;

	remove_stale_names();
	m.umask = umasks[R(sizeof(umasks) / sizeof(umasks[0]))];
	umask(m.umask);
	m.max_total = param(PARAM("max_total_size"), UINT64_MAX);
	m.max_regions = param(PARAM("max_regions"), UINT64_MAX);
	m.memlock = getrlimit(RLIMIT_MEMLOCK, &rl) || rl.rlim_cur == RLIM_INFINITY ?
		UINT64_MAX : rl.rlim_cur;

	/* What is reserved now is not ours: the default region is empty. */
	m.know_others = read_users(getuid(), &total, &reserved, &locked, &has_line);
	m.others_reserved = total;
	m.user_reserved0 = reserved;
	m.user_locked0 = locked;
	m.others_regions = 1;
	f = fopen(DEBUGFS_REGIONS, "re");
	if (f) {
		unsigned int id;

		m.others_regions = 0;
		while (fgets(line, sizeof(line), f))
			m.others_regions += sscanf(line, " %u", &id) == 1;	/* not the header */
		fclose(f);
	}
	if (!m.know_others)
		printf("shmdev-fuzz: %s unreadable: ENOSPC predicted as if nothing else were "
		       "reserved, no accounting checks\n", DEBUGFS_USERS);
	return 0;
}

void fuzz_names_op(void)
{
	uint64_t op = R(100);

	if (op < 35)
		fuzz_open(pick_file());
	else if (op < 50)
		fuzz_unlink(pick_file());
	else if (op < 62)
		fuzz_fstat();
	else if (op < 74)
		fuzz_ftruncate();
	else if (op < 82)
		fuzz_chmod();
	else if (op < 88)
		check_listing();
	else if (op < 93)
		check_maps();
	else if (op < 96)
		check_accounting(false);
	else if (op < 97)
		fuzz_proc_reopen();
	else if (op < 98)
		fuzz_other_ns();
	else
		fuzz_other_user();
}

/* After a failure: unlinks the names, unchecked, so that none is left. */
void names_abandon(void)
{
	int fd = open("/dev/shmdev", O_RDONLY | O_CLOEXEC);

	for (int i = 0; i < NNAMES && fd >= 0; i++) {
		struct shmdev_name nm = { { 0 } };

		if (m.linked[i] < 0)
			continue;
		strcpy(nm.name, m.names[i]);
		ioctl(fd, SHMDEV_IOC_UNLINK, &nm);
	}
	if (fd >= 0)
		close(fd);
}

/*
 * At the end (every file and mapping already closed): unlinks the names
 * left, then the listing must show none of them and the user's charge
 * must be what it was before the run.
 */
void names_finish(void)
{
	int fd = open("/dev/shmdev", O_RDONLY | O_CLOEXEC);
	char line[512], prefix[64];
	FILE *f;

	for (int i = 0; i < NMAPS; i++)
		m.map[i].p = NULL;
	for (int i = 0; i < NFILES; i++)
		m.file[i].fd = -1;
	m.reg[0].size = 0;
	region_gc();
	for (int i = 0; i < NNAMES; i++) {
		struct shmdev_name nm = { { 0 } };

		if (m.linked[i] < 0)
			continue;
		strcpy(nm.name, m.names[i]);
		describe("at the end: UNLINK(n%d)", i);
		if (ioctl(fd, SHMDEV_IOC_UNLINK, &nm))
			data_fail("%s", strerror(errno));
		m.reg[m.linked[i]].name = -1;
		m.linked[i] = -1;
	}
	region_gc();
	if (fd >= 0)
		close(fd);

	describe("at the end: " LISTING);
	listing_escape(m.prefix, prefix, sizeof(prefix));
	f = fopen(LISTING, "re");
	if (!f)
		data_fail("%s", strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (strstr(line, prefix))
			data_fail("still lists %s", line);
	fclose(f);
	describe("at the end: " DEBUGFS_USERS);
	check_accounting(true);
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libshmdev - see shmdev.h.
 */

#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shmdev.h"

/* ---- the handle and its control page ------------------------------------ */

#define CTRL_KEY	((uintptr_t)0x5d3c7a91e4b2f608ULL)

static uintptr_t ctrl_key(const struct shmdev *dev)
{
	return (uintptr_t)dev->ctrl ^ (uintptr_t)(unsigned int)dev->fd ^
	       (uintptr_t)dev->ctrl_writable ^ CTRL_KEY;
}

/* The handle's control page, or NULL (none, or a handle filled by hand). */
static volatile struct shmdev_ctrl *dev_ctrl(const struct shmdev *dev)
{
	if (!dev->ctrl || dev->ctrl_key != ctrl_key(dev))
		return NULL;
	return dev->ctrl;
}

static int64_t spin_from_env(void)
{
	const char *s = getenv("SHMDEV_SPIN_NS");
	char *end;
	long long v;

	if (!s || !*s)
		return SHMDEV_SPIN_DEFAULT_NS;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < 0)
		return SHMDEV_SPIN_DEFAULT_NS;
	return v;
}

/*
 * Fills @dev for the open file @fd: maps the control page, read-write if
 * @writable, else read-only. A module without a control page refuses the
 * mapping (EINVAL): the handle then works through the ioctls alone.
 */
static void dev_init(struct shmdev *dev, int fd, bool writable)
{
	long psz = sysconf(_SC_PAGESIZE);
	void *p = MAP_FAILED;

	dev->fd = fd;
	dev->ctrl = NULL;
	dev->ctrl_writable = 0;
	dev->spin_ns = spin_from_env();
	dev->cpus = 0;
	if (sizeof(off_t) >= 8 && psz > 0)
		p = mmap(NULL, psz, PROT_READ | (writable ? PROT_WRITE : 0),
			 MAP_SHARED, fd, (off_t)SHMDEV_CTRL_OFFSET);
	if (p != MAP_FAILED) {
		dev->ctrl = p;
		dev->ctrl_writable = writable;
	}
	dev->ctrl_key = ctrl_key(dev);
}

int shmdev_open_path(struct shmdev *dev, const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	dev_init(dev, fd, (flags & O_ACCMODE) == O_RDWR);
	return 0;
}

int shmdev_open(struct shmdev *dev, int flags)
{
	return shmdev_open_path(dev, SHMDEV_DEFAULT_PATH, flags);
}

void shmdev_close(struct shmdev *dev)
{
	volatile struct shmdev_ctrl *ctrl = dev_ctrl(dev);

	if (ctrl)
		munmap((void *)ctrl, sysconf(_SC_PAGESIZE));
	if (dev->fd >= 0)
		close(dev->fd);
	dev->fd = -1;
	dev->ctrl = NULL;
	dev->ctrl_writable = 0;
	dev->ctrl_key = 0;
}

static int ioctl_errno(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

int shmdev_set_size(struct shmdev *dev, uint64_t size)
{
	__u64 v = size;

	return ioctl_errno(dev->fd, SHMDEV_IOC_SET_SIZE, &v);
}

int shmdev_get_size(struct shmdev *dev, uint64_t *size)
{
	__u64 v;
	int err = ioctl_errno(dev->fd, SHMDEV_IOC_GET_SIZE, &v);

	if (!err)
		*size = v;
	return err;
}

int shmdev_map(struct shmdev *dev, size_t len, int prot, void **addr)
{
	void *p = mmap(NULL, len, prot, MAP_SHARED, dev->fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	*addr = p;
	return 0;
}

int shmdev_unmap(void *addr, size_t len)
{
	return munmap(addr, len) ? -errno : 0;
}

int shmdev_notify(struct shmdev *dev, uint64_t *seq)
{
	volatile struct shmdev_ctrl *ctrl = dev_ctrl(dev);
	__u64 v;
	int err;

	if (ctrl && dev->ctrl_writable) {
		/*
		 * The protocol of the control page: a sequentially consistent
		 * increment, then the waiting word. A waiter publishes waiting
		 * (under the wait queue's lock, after queueing) before it reads
		 * seq: either it sees our increment or we see its 1.
		 */
		v = __atomic_add_fetch(&ctrl->seq, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&ctrl->waiting, __ATOMIC_SEQ_CST)) {
			err = ioctl_errno(dev->fd, SHMDEV_IOC_WAKE, NULL);
			if (err)
				return err;
		}
		if (seq)
			*seq = v;
		return 0;
	}
	err = ioctl_errno(dev->fd, SHMDEV_IOC_NOTIFY, &v);
	if (!err && seq)
		*seq = v;
	return err;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

/* May the calling thread run on more than one CPU? Asked once per handle. */
static bool may_spin(struct shmdev *dev)
{
	if (!dev->cpus) {
		cpu_set_t set;

		dev->cpus = 2;
		if (!sched_getaffinity(0, sizeof(set), &set) && CPU_COUNT(&set) < 2)
			dev->cpus = 1;
	}
	return dev->cpus > 1;
}

/*
 * Spins until the control page's sequence differs from *@seq (then takes
 * it: true) or until @end (CLOCK_MONOTONIC ns): false. The clock is read
 * every 64 rounds.
 */
static bool spin_wait(volatile struct shmdev_ctrl *ctrl, uint64_t *seq, int64_t end)
{
	for (unsigned int i = 1;; i++) {
		uint64_t cur = __atomic_load_n(&ctrl->seq, __ATOMIC_ACQUIRE);

		if (cur != *seq) {
			*seq = cur;
			return true;
		}
		cpu_relax();
		if (!(i % 64) && now_ns() >= end)
			return false;
	}
}

int shmdev_wait(struct shmdev *dev, uint64_t *seq, int64_t timeout_ns)
{
	volatile struct shmdev_ctrl *ctrl = dev_ctrl(dev);
	struct shmdev_wait w = { .seq = *seq, .timeout_ns = timeout_ns };
	int err;

	if (ctrl) {
		uint64_t cur = __atomic_load_n(&ctrl->seq, __ATOMIC_ACQUIRE);

		if (cur != *seq) {
			*seq = cur;
			return 0;
		}
		if (!timeout_ns)
			return -ETIMEDOUT;
		if (dev->spin_ns > 0 && may_spin(dev)) {
			int64_t start = now_ns(), end = start + dev->spin_ns;

			if (timeout_ns > 0) {
				/* One deadline for the spin and the sleep. */
				w.timeout_ns = timeout_ns > INT64_MAX - start ?
					       INT64_MAX : start + timeout_ns;
				w.flags = SHMDEV_WAIT_ABSTIME;
				if (end > w.timeout_ns)
					end = w.timeout_ns;
			}
			if (spin_wait(ctrl, seq, end))
				return 0;
			if (timeout_ns > 0 && end == w.timeout_ns)
				return -ETIMEDOUT;
		}
	}
	err = ioctl_errno(dev->fd, SHMDEV_IOC_WAIT, &w);
	if (!err)
		*seq = w.seq;
	return err;
}

int shmdev_set_spin(struct shmdev *dev, int64_t ns)
{
	if (ns < 0)
		return -EINVAL;
	dev->spin_ns = ns;
	return 0;
}

uint64_t shmdev_seq(const struct shmdev *dev)
{
	volatile struct shmdev_ctrl *ctrl = dev_ctrl(dev);
	struct shmdev_info info;

	if (ctrl)
		return __atomic_load_n(&ctrl->seq, __ATOMIC_SEQ_CST);
	if (ioctl(dev->fd, SHMDEV_IOC_GET_INFO, &info))
		return 0;
	return info.seq;
}

int shmdev_get_info(struct shmdev *dev, struct shmdev_info *info)
{
	return ioctl_errno(dev->fd, SHMDEV_IOC_GET_INFO, info);
}

int shmdev_page_info(struct shmdev *dev, uint64_t index,
		     struct shmdev_page_info *pages, uint32_t *count)
{
	struct shmdev_page_query q = {
		.index = index,
		.pages = (uintptr_t)pages,
		.count = *count,
	};
	int err = ioctl_errno(dev->fd, SHMDEV_IOC_PAGE_INFO, &q);

	if (!err)
		*count = q.count;
	return err;
}

/* ---- named regions ---------------------------------------------------- */

#define OPEN_FLAGS (SHMDEV_OPEN_CREATE | SHMDEV_OPEN_EXCL | SHMDEV_OPEN_RDONLY | \
		    SHMDEV_OPEN_CLOEXEC | SHMDEV_OPEN_AUTOREMOVE | SHMDEV_OPEN_NOHUGE)

/*
 * Copies @name into @out (zero-filled) after the module's checks, in its
 * order: no NUL in the first SHMDEV_NAME_MAX bytes -ENAMETOOLONG; empty or
 * with '/' -EINVAL.
 */
static int copy_name(char out[SHMDEV_NAME_MAX], const char *name)
{
	size_t len;

	if (!name)
		return -EINVAL;
	len = strnlen(name, SHMDEV_NAME_MAX);
	if (len == SHMDEV_NAME_MAX)
		return -ENAMETOOLONG;
	if (!len || memchr(name, '/', len))
		return -EINVAL;
	memset(out, 0, SHMDEV_NAME_MAX);
	memcpy(out, name, len);
	return 0;
}

/* The argument of SHMDEV_IOC_OPEN, checked in the module's order. */
static int prepare_open(struct shmdev_open *o, const char *name,
			uint32_t flags, uint64_t size, uint32_t mode)
{
	memset(o, 0, sizeof(*o));
	if (flags & ~OPEN_FLAGS)
		return -EINVAL;
	if ((flags & (SHMDEV_OPEN_EXCL | SHMDEV_OPEN_AUTOREMOVE)) &&
	    !(flags & SHMDEV_OPEN_CREATE))
		return -EINVAL;
	if ((flags & SHMDEV_OPEN_CREATE) && mode > 0777)
		return -EINVAL;
	o->size = size;
	o->flags = flags;
	o->mode = mode;
	return copy_name(o->name, name);
}

static int open_ioctl(int fd, struct shmdev_open *o)
{
	int ret = ioctl(fd, SHMDEV_IOC_OPEN, o);

	return ret < 0 ? -errno : ret;
}

int shmdev_open_region(int fd, const char *name, uint32_t flags,
		       uint64_t size, uint32_t mode)
{
	struct shmdev_open o;
	int err = prepare_open(&o, name, flags, size, mode);

	return err ? err : open_ioctl(fd, &o);
}

int shmdev_unlink_region(int fd, const char *name)
{
	struct shmdev_name n;
	int err = copy_name(n.name, name);

	return err ? err : ioctl_errno(fd, SHMDEV_IOC_UNLINK, &n);
}

/* Opens the node at @path for an ioctl on it: the fd or -errno. */
static int open_node(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int shmdev_open_name_path(struct shmdev *dev, const char *path,
			  const char *name, uint32_t flags, uint64_t size,
			  uint32_t mode)
{
	struct shmdev_open o;
	int err, fd, node;

	err = prepare_open(&o, name, flags | SHMDEV_OPEN_CLOEXEC, size, mode);
	if (err)
		return err;
	node = open_node(path);
	if (node < 0)
		return node;
	fd = open_ioctl(node, &o);
	close(node);
	if (fd < 0)
		return fd;
	dev_init(dev, fd, !(flags & SHMDEV_OPEN_RDONLY));
	return 0;
}

int shmdev_open_name(struct shmdev *dev, const char *name, uint32_t flags,
		     uint64_t size, uint32_t mode)
{
	return shmdev_open_name_path(dev, SHMDEV_DEFAULT_PATH, name, flags,
				     size, mode);
}

int shmdev_unlink_path(const char *path, const char *name)
{
	struct shmdev_name n;
	int err = copy_name(n.name, name), node;

	if (err)
		return err;
	node = open_node(path);
	if (node < 0)
		return node;
	err = ioctl_errno(node, SHMDEV_IOC_UNLINK, &n);
	close(node);
	return err;
}

int shmdev_unlink(const char *name)
{
	return shmdev_unlink_path(SHMDEV_DEFAULT_PATH, name);
}

int shmdev_chmod(struct shmdev *dev, uint32_t mode)
{
	if (mode > 0777)
		return -EINVAL;
	return fchmod(dev->fd, mode) ? -errno : 0;
}

/* ---- the listing -------------------------------------------------------- */

int shmdev_read_file(const char *path, char **text, size_t *len)
{
	size_t used = 0, cap = 4096;
	char *buf = malloc(cap), *p;
	int fd, err = 0;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	for (;;) {
		ssize_t n;

		if (cap - used < 2) {
			p = realloc(buf, cap * 2);
			if (!p) {
				err = -ENOMEM;
				break;
			}
			buf = p;
			cap *= 2;
		}
		n = read(fd, buf + used, cap - used - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		used += n;
	}
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	buf[used] = '\0';
	*text = buf;
	if (len)
		*len = used;
	return 0;
}

static bool is_escaped(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\\';
}

int shmdev_escape_name(const char *name, char *buf, size_t len)
{
	size_t used = 0;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		size_t need = is_escaped(*p) ? 4 : 1;

		if (len - used <= need)
			return -ENOSPC;
		if (need == 4)
			snprintf(buf + used, 5, "\\%03o", *p);
		else
			buf[used] = *p;
		used += need;
	}
	if (len == 0)
		return -ENOSPC;
	buf[used] = '\0';
	return (int)used;
}

/* \ooo back to its byte; the result must fit in a name. */
static int unescape_name(const char *s, char out[SHMDEV_NAME_MAX])
{
	size_t n = 0;

	while (*s) {
		unsigned int c = (unsigned char)*s;

		if (c == '\\') {
			c = 0;
			for (int i = 1; i <= 3; i++) {
				if (s[i] < '0' || s[i] > '7')
					return -EBADMSG;
				c = c * 8 + (s[i] - '0');
			}
			if (c == 0 || c > 0xff)
				return -EBADMSG;
			s += 4;
		} else {
			s++;
		}
		if (n == SHMDEV_NAME_MAX - 1 || c == '/')
			return -EBADMSG;
		out[n++] = (char)c;
	}
	if (!n)
		return -EBADMSG;
	out[n] = '\0';
	return 0;
}

/* A whole token of digits in @base (8 or 10), at most @max. */
static int parse_field(const char *s, int base, uint64_t max, uint64_t *v)
{
	uint64_t n = 0;

	if (!*s)
		return -EBADMSG;
	for (; *s; s++) {
		unsigned int d = (unsigned char)*s - '0';

		if (d >= (unsigned int)base || n > (max - d) / base)
			return -EBADMSG;
		n = n * base + d;
	}
	*v = n;
	return 0;
}

enum {
	COL_ID, COL_NAME, COL_UID, COL_GID, COL_MODE, COL_SIZE, COL_PAGES,
	COL_MAPPINGS, COL_FILES, COL_SEQ, COL_CHARGED_UID, COL_CHARGED,
	COL_FLAGS, NR_COLS
};

static const char *const col_names[NR_COLS] = {
	"id", "name", "uid", "gid", "mode", "size", "pages", "mappings",
	"files", "seq", "charged_uid", "charged", "flags",
};

#define MAX_TOKENS 64

/*
 * Splits the line at @s (ending at '\n' or NUL) into tokens separated by
 * runs of spaces, NUL-terminating each in place; returns the count, or -1
 * beyond MAX_TOKENS. *next points past the line.
 */
static int split_line(char *s, char **tok, char **next)
{
	char *end = strchr(s, '\n');
	int n = 0;

	if (end) {
		*end = '\0';
		*next = end + 1;
	} else {
		*next = s + strlen(s);
	}
	for (;;) {
		while (*s == ' ')
			s++;
		if (!*s)
			return n;
		if (n == MAX_TOKENS)
			return -1;
		tok[n++] = s;
		while (*s && *s != ' ')
			s++;
		if (*s)
			*s++ = '\0';
	}
}

static int parse_entry(char **tok, const int *col, struct shmdev_list_entry *e)
{
	uint64_t v[NR_COLS];
	const char *flags = tok[col[COL_FLAGS]];
	const char *name = tok[col[COL_NAME]];
	int err = 0;

	memset(e, 0, sizeof(*e));
	for (int c = 0; c < NR_COLS && !err; c++) {
		const char *t = tok[col[c]];

		switch (c) {
		case COL_NAME:
		case COL_FLAGS:
			break;
		case COL_CHARGED_UID:
			if (!strcmp(t, "-"))
				v[c] = SHMDEV_UID_NONE;
			else
				err = parse_field(t, 10, UINT32_MAX - 1, &v[c]);
			break;
		case COL_MODE:
			err = parse_field(t, 8, 07777, &v[c]);
			break;
		case COL_SIZE:
		case COL_PAGES:
		case COL_SEQ:
		case COL_CHARGED:
			err = parse_field(t, 10, UINT64_MAX, &v[c]);
			break;
		default:
			err = parse_field(t, 10, UINT32_MAX, &v[c]);
			break;
		}
	}
	if (err)
		return err;
	e->id = v[COL_ID];
	e->uid = v[COL_UID];
	e->gid = v[COL_GID];
	e->mode = v[COL_MODE];
	e->size = v[COL_SIZE];
	e->nr_pages = v[COL_PAGES];
	e->nr_mappings = v[COL_MAPPINGS];
	e->nr_files = v[COL_FILES];
	e->seq = v[COL_SEQ];
	e->charged_uid = v[COL_CHARGED_UID];
	e->charged = v[COL_CHARGED];
	if (strcmp(flags, "-")) {
		for (const char *f = flags; *f; f++) {
			if (*f == 'D')
				e->flags |= SHMDEV_INFO_DEFAULT;
			else if (*f == 'A')
				e->flags |= SHMDEV_INFO_AUTOREMOVE;
			/* Letters added later are skipped. */
		}
	}
	/* The default region is "-"; a region may also be named "-". */
	if ((e->flags & SHMDEV_INFO_DEFAULT) && !strcmp(name, "-"))
		return 0;
	e->flags |= SHMDEV_INFO_NAMED;
	return unescape_name(name, e->name);
}

int shmdev_parse_list(const char *text, struct shmdev_list_entry **entries,
		      size_t *count)
{
	struct shmdev_list_entry *list = NULL;
	char *copy, *line, *next, *tok[MAX_TOKENS];
	size_t nr = 0, cap = 0;
	int col[NR_COLS], ntok, nhead, err = 0;

	if (!text)
		return -EINVAL;
	copy = strdup(text);
	if (!copy)
		return -ENOMEM;

	/* The header names the columns. */
	nhead = split_line(copy, tok, &next);
	for (int c = 0; c < NR_COLS; c++) {
		col[c] = -1;
		for (int i = 0; i < nhead; i++)
			if (!strcmp(tok[i], col_names[c]))
				col[c] = i;
		if (col[c] < 0)
			err = -EBADMSG;
	}

	for (line = next; !err && *line; line = next) {
		ntok = split_line(line, tok, &next);
		if (ntok == 0)
			continue;
		if (ntok != nhead) {
			err = -EBADMSG;
			break;
		}
		if (nr == cap) {
			struct shmdev_list_entry *p;

			cap = cap ? 2 * cap : 16;
			p = realloc(list, cap * sizeof(*p));
			if (!p) {
				err = -ENOMEM;
				break;
			}
			list = p;
		}
		err = parse_entry(tok, col, &list[nr]);
		if (!err)
			nr++;
	}
	free(copy);
	if (err) {
		free(list);
		return err;
	}
	*entries = list;
	*count = nr;
	return 0;
}

int shmdev_list_path(const char *path, struct shmdev_list_entry **entries,
		     size_t *count)
{
	char *text;
	int err = shmdev_read_file(path, &text, NULL);

	if (err)
		return err;
	err = shmdev_parse_list(text, entries, count);
	free(text);
	return err;
}

int shmdev_list(struct shmdev_list_entry **entries, size_t *count)
{
	return shmdev_list_path(SHMDEV_REGIONS_PATH, entries, count);
}

int shmdev_parse_mode(const char *s, uint32_t *mode)
{
	uint64_t v;

	if (!s || strlen(s) > 4 || parse_field(s, 8, 0777, &v))
		return -EINVAL;
	*mode = v;
	return 0;
}

/* Digits only, no sign or space; -ERANGE on overflow. */
static int parse_u64(const char **s, uint64_t *v)
{
	const char *p = *s;
	uint64_t n = 0;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned int d = *p - '0';

		if (n > (UINT64_MAX - d) / 10)
			return -ERANGE;
		n = n * 10 + d;
	}
	*s = p;
	*v = n;
	return 0;
}

int shmdev_parse_size(const char *s, uint64_t *size)
{
	unsigned int shift = 0;
	uint64_t n;
	int err;

	if (!s)
		return -EINVAL;
	err = parse_u64(&s, &n);
	if (err)
		return err;
	switch (*s) {
	case '\0':
		break;
	case 'k': case 'K':
		shift = 10;
		break;
	case 'm': case 'M':
		shift = 20;
		break;
	case 'g': case 'G':
		shift = 30;
		break;
	case 't': case 'T':
		shift = 40;
		break;
	default:
		return -EINVAL;
	}
	if (shift) {
		s++;
		/* "16M", "16MB" and "16MiB" alike. */
		if (*s && strcasecmp(s, "B") && strcasecmp(s, "iB"))
			return -EINVAL;
		if (n > UINT64_MAX >> shift)
			return -ERANGE;
	}
	*size = n << shift;
	return 0;
}

int shmdev_parse_duration(const char *s, int64_t *ns)
{
	static const struct {
		const char *name;
		uint64_t ns;
	} units[] = {
		{ "", 1000000000ULL }, { "s", 1000000000ULL },
		{ "ms", 1000000ULL }, { "us", 1000ULL }, { "ns", 1ULL },
	};
	uint64_t n;
	int err;

	if (!s)
		return -EINVAL;
	err = parse_u64(&s, &n);
	if (err)
		return err;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(s, units[i].name))
			continue;
		if (n > (uint64_t)INT64_MAX / units[i].ns)
			return -ERANGE;
		*ns = (int64_t)(n * units[i].ns);
		return 0;
	}
	return -EINVAL;
}

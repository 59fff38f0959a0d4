// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libshmdev - see shmdev.h.
 */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shmdev.h"

int shmdev_open_path(struct shmdev *dev, const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	dev->fd = fd;
	return 0;
}

int shmdev_open(struct shmdev *dev, int flags)
{
	return shmdev_open_path(dev, SHMDEV_DEFAULT_PATH, flags);
}

void shmdev_close(struct shmdev *dev)
{
	if (dev->fd >= 0)
		close(dev->fd);
	dev->fd = -1;
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
	__u64 v;
	int err = ioctl_errno(dev->fd, SHMDEV_IOC_NOTIFY, &v);

	if (!err && seq)
		*seq = v;
	return err;
}

int shmdev_wait(struct shmdev *dev, uint64_t *seq, int64_t timeout_ns)
{
	struct shmdev_wait w = { .seq = *seq, .timeout_ns = timeout_ns };
	int err = ioctl_errno(dev->fd, SHMDEV_IOC_WAIT, &w);

	if (!err)
		*seq = w.seq;
	return err;
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

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libshmdev - a small C library over the /dev/shmdev userspace API
 *
 * Every function returns 0 (or a count) on success and a negative errno
 * on failure; none keeps global state, so handles may be used from several
 * threads as the underlying system calls allow.
 */

#ifndef LIBSHMDEV_H
#define LIBSHMDEV_H

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

#include <linux/shmdev.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SHMDEV_DEFAULT_PATH	"/dev/shmdev"

/**
 * struct shmdev - an open handle on a shmdev region
 * @fd: the open file; owned by the handle
 */
struct shmdev {
	int fd;
};

/**
 * shmdev_open() - open the default region
 * @dev: filled with the handle
 * @flags: O_RDWR, O_RDONLY or O_WRONLY (O_CLOEXEC is always added)
 *
 * Return: 0, or -errno (-ENOENT when the module is not loaded).
 */
int shmdev_open(struct shmdev *dev, int flags);

/**
 * shmdev_open_path() - as shmdev_open(), for a device node at @path
 * @dev: filled with the handle
 * @path: the device node
 * @flags: as for shmdev_open()
 *
 * Return: 0, or -errno.
 */
int shmdev_open_path(struct shmdev *dev, const char *path, int flags);

/**
 * shmdev_close() - close a handle; mappings made through it stay valid
 * @dev: the handle
 */
void shmdev_close(struct shmdev *dev);

/**
 * shmdev_set_size() - give the region @size bytes
 * @dev: the handle, opened for writing
 * @size: new size; shrinking frees the pages beyond it
 *
 * Return: 0, -EFBIG above the maximum, -EBADF on a read-only handle.
 */
int shmdev_set_size(struct shmdev *dev, uint64_t size);

/**
 * shmdev_get_size() - the region's size in bytes
 * @dev: the handle
 * @size: filled with the size
 *
 * Return: 0 or -errno.
 */
int shmdev_get_size(struct shmdev *dev, uint64_t *size);

/**
 * shmdev_map() - map the region from offset 0
 * @dev: the handle
 * @len: bytes to map; may exceed the size, up to the maximum
 * @prot: PROT_READ, optionally with PROT_WRITE
 * @addr: filled with the address of the shared mapping
 *
 * Return: 0 or -errno. Unmap with munmap() or shmdev_unmap().
 */
int shmdev_map(struct shmdev *dev, size_t len, int prot, void **addr);

/**
 * shmdev_unmap() - unmap what shmdev_map() mapped
 * @addr: the mapping
 * @len: its length
 *
 * Return: 0 or -errno.
 */
int shmdev_unmap(void *addr, size_t len);

/**
 * shmdev_notify() - wake every waiter of the region
 * @dev: the handle
 * @seq: if not NULL, filled with the new sequence
 *
 * Return: 0 or -errno.
 */
int shmdev_notify(struct shmdev *dev, uint64_t *seq);

/**
 * shmdev_wait() - wait for the sequence to move past @seq
 * @dev: the handle
 * @seq: in: the sequence last seen; out, on success: the current one
 * @timeout_ns: relative timeout; negative: none; 0: do not block
 *
 * Return: 0, -ETIMEDOUT, -EINTR on a signal, or another -errno.
 */
int shmdev_wait(struct shmdev *dev, uint64_t *seq, int64_t timeout_ns);

/**
 * shmdev_get_info() - a snapshot of the region's state
 * @dev: the handle
 * @info: filled with the state
 *
 * Return: 0 or -errno.
 */
int shmdev_get_info(struct shmdev *dev, struct shmdev_info *info);

/**
 * shmdev_page_info() - the state of pages of the region
 * @dev: the handle
 * @index: first page, in pages from the start of the region
 * @pages: filled with one entry per page, from @index on
 * @count: in: entries in @pages; out: entries filled (fewer at the end of
 *	the region, 0 from there on)
 *
 * The PFN is reported to CAP_SYS_ADMIN callers only.
 *
 * Return: 0 or -errno.
 */
int shmdev_page_info(struct shmdev *dev, uint64_t index,
		     struct shmdev_page_info *pages, uint32_t *count);

/**
 * shmdev_parse_size() - parse a byte count such as "4096", "4K", "16M", "1G"
 * @s: the text: decimal digits with an optional K, M, G or T suffix (powers
 *	of 1024, either case, an optional trailing "B" or "iB")
 * @size: filled with the value on success
 *
 * Return: 0, -EINVAL for anything else (signs, spaces, empty), -ERANGE
 * when the value does not fit in 64 bits.
 */
int shmdev_parse_size(const char *s, uint64_t *size);

/**
 * shmdev_parse_duration() - parse a duration such as "500ms", "2s", "10us"
 * @s: decimal digits with a unit: ns, us, ms or s (no unit: seconds)
 * @ns: filled with nanoseconds on success
 *
 * Return: 0, -EINVAL, or -ERANGE above INT64_MAX nanoseconds.
 */
int shmdev_parse_duration(const char *s, int64_t *ns);

#ifdef __cplusplus
}
#endif

#endif /* LIBSHMDEV_H */

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

/* ---- named regions ---------------------------------------------------- */

/**
 * shmdev_open_region() - open (or create) the region called @name
 * @fd: any open shmdev file: of /dev/shmdev or of a region
 * @name: 1 to SHMDEV_NAME_MAX - 1 bytes, no '/'
 * @flags: SHMDEV_OPEN_* flags (CREATE, EXCL, RDONLY, CLOEXEC, AUTOREMOVE)
 * @size: with SHMDEV_OPEN_CREATE, the size of a region the call creates
 * @mode: with SHMDEV_OPEN_CREATE, its permission bits (0777 at most), less
 *	the umask
 *
 * The arguments are checked as the module checks them, in its order, so
 * what the module would refuse fails the same way without a system call:
 * -EINVAL for an unknown flag, EXCL or AUTOREMOVE without CREATE, or a
 * mode above 0777 with CREATE; then -ENAMETOOLONG for a name of
 * SHMDEV_NAME_MAX bytes or more; then -EINVAL for an empty name or one
 * with '/'.
 *
 * Return: the new file descriptor, or -errno (-ENOENT: no such name and no
 * CREATE; -EEXIST: CREATE|EXCL and it exists; -EACCES: no permission;
 * -EFBIG, -ENOSPC, -ENOMEM: the size cannot be reserved; see the uapi).
 */
int shmdev_open_region(int fd, const char *name, uint32_t flags,
		       uint64_t size, uint32_t mode);

/**
 * shmdev_unlink_region() - remove the name @name
 * @fd: any open shmdev file
 * @name: as for shmdev_open_region()
 *
 * The region lives on while files or mappings hold it.
 *
 * Return: 0, or -errno (-ENOENT: no such name; -EPERM: neither its owner,
 * nor its creator, nor CAP_SYS_ADMIN).
 */
int shmdev_unlink_region(int fd, const char *name);

/**
 * shmdev_open_name() - open (or create) a named region into a handle
 * @dev: filled with the handle
 * @name: as for shmdev_open_region()
 * @flags: as for shmdev_open_region(); SHMDEV_OPEN_CLOEXEC is always added
 * @size: as for shmdev_open_region()
 * @mode: as for shmdev_open_region()
 *
 * Opens /dev/shmdev (read-only: the module asks no more) for the call and
 * closes it before returning.
 *
 * Return: 0, or -errno as shmdev_open_region(), or the error opening
 * /dev/shmdev (-ENOENT when the module is not loaded).
 */
int shmdev_open_name(struct shmdev *dev, const char *name, uint32_t flags,
		     uint64_t size, uint32_t mode);

/**
 * shmdev_open_name_path() - as shmdev_open_name(), through the device
 *	node at @path
 */
int shmdev_open_name_path(struct shmdev *dev, const char *path,
			  const char *name, uint32_t flags, uint64_t size,
			  uint32_t mode);

/**
 * shmdev_unlink() - remove the name @name, through /dev/shmdev
 * @name: as for shmdev_open_region()
 *
 * Return: as shmdev_unlink_region(), or the error opening /dev/shmdev.
 */
int shmdev_unlink(const char *name);

/**
 * shmdev_unlink_path() - as shmdev_unlink(), through the node at @path
 */
int shmdev_unlink_path(const char *path, const char *name);

/**
 * shmdev_chmod() - set the region's permission bits
 * @dev: a handle on a named region (or on the default region, whose mode
 *	the module may keep)
 * @mode: 0777 at most
 *
 * As fchmod(): the region's owner or CAP_FOWNER.
 *
 * Return: 0, -EINVAL above 0777, -EPERM, or another -errno.
 */
int shmdev_chmod(struct shmdev *dev, uint32_t mode);

/* ---- the listing: /proc/shmdev/regions ------------------------------- */

#define SHMDEV_REGIONS_PATH	"/proc/shmdev/regions"

/* charged_uid of a region for which nothing is charged. */
#define SHMDEV_UID_NONE		((uint32_t)-1)

/**
 * struct shmdev_list_entry - one line of the listing
 * @name: the name, unescaped and NUL-terminated; "" for the default region
 * @id: the region's number (the default region is 1)
 * @flags: SHMDEV_INFO_DEFAULT, SHMDEV_INFO_NAMED (every region listed with
 *	a name), SHMDEV_INFO_AUTOREMOVE
 * @uid: owner
 * @gid: group
 * @mode: permission bits
 * @size: size in bytes
 * @nr_pages: resident pages
 * @nr_mappings: mappings (VMAs) in all processes
 * @nr_files: open files
 * @seq: notification sequence
 * @charged_uid: the user charged, or SHMDEV_UID_NONE
 * @charged: bytes charged
 */
struct shmdev_list_entry {
	char name[SHMDEV_NAME_MAX];
	uint32_t id;
	uint32_t flags;
	uint32_t uid;
	uint32_t gid;
	uint32_t mode;
	uint32_t nr_mappings;
	uint64_t size;
	uint64_t nr_pages;
	uint64_t seq;
	uint64_t charged;
	uint32_t nr_files;
	uint32_t charged_uid;
};

/**
 * shmdev_parse_list() - parse the text of the listing
 * @text: the text: a header line naming the columns, then one line per
 *	region (NUL-terminated)
 * @entries: on success, a malloc()ed array of the regions (free() it);
 *	NULL when there are none
 * @count: on success, the number of regions
 *
 * Columns are found by their names in the header, so columns added later
 * are skipped; each of id, name, uid, gid, mode, size, pages, mappings,
 * files, seq, charged_uid, charged and flags must be there. Names are
 * unescaped (\ooo octal, as seq_escape() writes them).
 *
 * Return: 0, -EBADMSG when the text is not such a listing, -ENOMEM.
 */
int shmdev_parse_list(const char *text, struct shmdev_list_entry **entries,
		      size_t *count);

/**
 * shmdev_list() - read and parse /proc/shmdev/regions
 * @entries: as for shmdev_parse_list()
 * @count: as for shmdev_parse_list()
 *
 * The regions of the caller's IPC namespace that have a name, and the
 * default region, in the listing's order.
 *
 * Return: 0, -ENOENT when the module is not loaded, or as
 * shmdev_parse_list().
 */
int shmdev_list(struct shmdev_list_entry **entries, size_t *count);

/**
 * shmdev_list_path() - as shmdev_list(), from the file at @path
 */
int shmdev_list_path(const char *path, struct shmdev_list_entry **entries,
		     size_t *count);

/**
 * shmdev_read_file() - read a whole file, such as the listing
 * @path: the file
 * @text: on success, a malloc()ed NUL-terminated copy of its contents
 *	(free() it)
 * @len: if not NULL, filled with its length in bytes
 *
 * Return: 0 or -errno.
 */
int shmdev_read_file(const char *path, char **text, size_t *len);

/**
 * shmdev_escape_name() - a name as the listing writes it
 * @name: a name (NUL-terminated)
 * @buf: filled with @name, each space, tab, newline and backslash written
 *	as \ooo (octal)
 * @len: room in @buf; 4 * SHMDEV_NAME_MAX is always enough for a name
 *
 * Return: the length written (without the NUL), or -ENOSPC when @buf is
 * too short.
 */
int shmdev_escape_name(const char *name, char *buf, size_t len);

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

/**
 * shmdev_parse_mode() - parse permission bits such as "0640" or "600"
 * @s: 1 to 4 octal digits, at most 0777
 * @mode: filled with the value on success
 *
 * Return: 0 or -EINVAL.
 */
int shmdev_parse_mode(const char *s, uint32_t *mode);

#ifdef __cplusplus
}
#endif

#endif /* LIBSHMDEV_H */

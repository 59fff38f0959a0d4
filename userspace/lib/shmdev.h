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

/*
 * Spin budget of shmdev_wait() unless SHMDEV_SPIN_NS or shmdev_set_spin():
 * about what one sleep and wake-up costs, so that spinning never costs
 * more than twice what sleeping at once would. Under emulation (TCG, two
 * vCPUs) a WAIT/NOTIFY round trip, two of them, measured 58.6 us
 * (Documentation/userspace-api/shmdev-performance/table.txt).
 */
#define SHMDEV_SPIN_DEFAULT_NS	30000

/**
 * struct shmdev - an open handle on a shmdev region
 * @fd: the open file; owned by the handle
 * @ctrl: the region's control page (struct shmdev_ctrl), mapped by the
 *	shmdev_open*() functions; NULL where the module has none (then
 *	notify and wait are system calls)
 * @ctrl_writable: @ctrl is mapped writable (the file was opened for
 *	reading and writing), so shmdev_notify() may increment it in place
 * @spin_ns: how long shmdev_wait() spins on @ctrl before it sleeps
 * @cpus: 0 before the first wait; then 1 when the caller may run on one
 *	CPU only (no spinning), 2 otherwise
 * @ctrl_key: ties @ctrl to @fd: a handle whose @fd was set by hand (as
 *	callers of older versions of the library did) has no control page,
 *	whatever the other fields hold
 *
 * Fill it with one of the shmdev_open*() functions. Setting @fd by hand
 * still works (notify and wait then use the ioctls), but nothing else of
 * the handle may be set by hand.
 */
struct shmdev {
	int fd;
	int ctrl_writable;
	volatile struct shmdev_ctrl *ctrl;
	int64_t spin_ns;
	int cpus;
	uintptr_t ctrl_key;
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
 * shmdev_notify() - move the sequence and wake every waiter of the region
 * @dev: the handle, opened for writing
 * @seq: if not NULL, filled with the new sequence
 *
 * With a writable control page: a sequentially consistent fetch-and-add
 * on its sequence, then a load of its waiting word, and SHMDEV_IOC_WAKE
 * only when that is nonzero; so no system call at all while nobody
 * sleeps. Without one: SHMDEV_IOC_NOTIFY.
 *
 * Return: 0 or -errno (-EBADF on a read-only handle).
 */
int shmdev_notify(struct shmdev *dev, uint64_t *seq);

/**
 * shmdev_wait() - wait for the sequence to move past @seq
 * @dev: the handle
 * @seq: in: the sequence last seen; out, on success: the current one
 * @timeout_ns: relative timeout; negative: none; 0: do not block
 *
 * With a control page, a sequence that already moved is taken from it
 * without a system call; otherwise, if @timeout_ns is not 0 and the
 * calling thread may run on more than one CPU, the call spins on the
 * control page for up to the spin budget (shmdev_set_spin()) before it
 * sleeps in SHMDEV_IOC_WAIT until the same deadline.
 *
 * Return: 0, -ETIMEDOUT, -EINTR on a signal, or another -errno.
 */
int shmdev_wait(struct shmdev *dev, uint64_t *seq, int64_t timeout_ns);

/**
 * shmdev_set_spin() - set how long shmdev_wait() spins before sleeping
 * @dev: the handle
 * @ns: nanoseconds; 0: never spin. The default is the environment's
 *	SHMDEV_SPIN_NS (decimal nanoseconds) when set when the handle is
 *	opened, else SHMDEV_SPIN_DEFAULT_NS.
 *
 * Return: 0, -EINVAL for a negative @ns.
 */
int shmdev_set_spin(struct shmdev *dev, int64_t ns);

/**
 * shmdev_seq() - the region's current sequence
 * @dev: the handle
 *
 * Read from the control page, or with SHMDEV_IOC_GET_INFO without one.
 *
 * Return: the sequence; 0 if GET_INFO fails.
 */
uint64_t shmdev_seq(const struct shmdev *dev);

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

/* ---- the zero-copy ring: ring.c ---------------------------------------- */

/*
 * A message ring in shared memory (a shmdev region, or any MAP_SHARED
 * memory): one consumer and one producer, or several producers with
 * SHMDEV_RING_MULTI_PRODUCER. Messages have any size up to
 * shmdev_ring_max_msg() and lie contiguous in the ring: the producer
 * reserves room, writes the message in place and commits it; the consumer
 * peeks at the oldest message, reads it in place and releases it.
 * Messages are delivered in the order of their reservations, each once
 * its own commit is done.
 *
 * Layout: a 256-byte header at @base, then the data area, the largest
 * power of two that fits in the rest of @len (so a ring over 2^n + 256
 * bytes has 2^n of data; one over 2^n bytes only 2^(n-1)). Each message
 * takes a 16-byte record header and is rounded up to 8 bytes; a message
 * that does not fit before the end of the data area is put at its start
 * after a padding record. shmdev_ring_max_msg() is half the data area,
 * less the record header, so that a message always fits in an empty ring.
 *
 * Blocking (timeout_ns < 0: forever; 0: try, -EAGAIN; > 0: then
 * -ETIMEDOUT) sleeps in shmdev_wait() on the ring's region and is woken
 * by shmdev_notify() from the other side, which calls it only when a
 * process announced in the ring's header that it is about to sleep; with
 * the control page neither side makes a system call while the other is
 * awake. With @dev NULL the ring polls instead (for memory that is not a
 * shmdev region, and for tests).
 *
 * Processes that die (even by SIGKILL) and are restarted (attach again):
 * - a committed message is never lost nor torn: it is delivered whole,
 *   once it is released, never again;
 * - a message the consumer peeked at but did not release is delivered
 *   again to the next consumer (at-least-once: the consumer must tolerate
 *   seeing again the last message it was reading when it died);
 * - a reservation the producer did not commit before it died is skipped:
 *   its message is never delivered, and the messages after it are. The
 *   consumer sees such a reservation as the producer's: it waits while a
 *   process of the recorded pid lives (checked every 10 ms of waiting;
 *   zombies count as dead), so producers must share the consumer's pid
 *   namespace, and a reused pid delays the skip until that process ends;
 * - with several producers, a producer that dies while it holds the
 *   reservation word (a few stores long) leaves nothing: the next
 *   producer takes the word over.
 * Each ring handle belongs to one process, and to one thread at a time: a
 * child of fork() attaches its own, and so does each producing thread.
 * Every party maps the memory read-write.
 */

#define SHMDEV_RING_MULTI_PRODUCER	0x1

/**
 * struct shmdev_ring - one process's handle on a ring; its layout is
 * private to the library
 */
struct shmdev_ring {
	struct shmdev *dev;
	void *hdr;
	size_t len;		/* bytes mapped at hdr */
	unsigned char *data;
	uint64_t units;		/* 8-byte units in the data area */
	uint64_t gen;		/* generation of the ring when attached */
	uint32_t flags;
	int32_t pid;
	void *peeked;		/* record shmdev_ring_peek() returned */
	uint64_t stall_pos;	/* record at the head seen reserved... */
	int64_t stall_ns;	/* ...since then, or 0 */
	int64_t checked_ns;	/* when its producer was last looked for */
};

/**
 * shmdev_ring_create() - make an empty ring in @base and attach to it
 * @ring: filled with the handle
 * @dev: the region of @base, for waits and notifications, or NULL to poll
 * @base: the start of the ring, 64-byte aligned, mapped shared read-write
 * @len: bytes for the ring: the header (256 bytes) and at least 256 of data
 * @flags: 0 or SHMDEV_RING_MULTI_PRODUCER
 *
 * Erases whatever was there; no other process may use the ring while it
 * runs. Processes attached to a ring that is created again see it empty.
 * Then notifies @dev, so that a process waiting for the ring to appear
 * wakes.
 *
 * Return: 0, -EINVAL (bad flags, alignment or length), or the error of
 * shmdev_notify().
 */
int shmdev_ring_create(struct shmdev_ring *ring, struct shmdev *dev,
		       void *base, size_t len, uint32_t flags);

/**
 * shmdev_ring_attach() - attach to the ring in @base, as it stands
 * @ring: filled with the handle
 * @dev: as for shmdev_ring_create()
 * @base: where a ring was created (in this or another process)
 * @len: bytes mapped at @base
 *
 * Return: 0, -ENOMSG when no ring is there (yet), -EBADMSG when its header
 * does not fit in @len or is not one this library writes, -EINVAL for
 * bad alignment.
 */
int shmdev_ring_attach(struct shmdev_ring *ring, struct shmdev *dev,
		       void *base, size_t len);

/**
 * shmdev_ring_reserve() - reserve room for a message of @len bytes
 * @ring: the handle
 * @len: the message's length, 0 to shmdev_ring_max_msg()
 * @timeout_ns: how long to wait for room (see above)
 * @msg: on success, where to write the message (8-byte aligned)
 *
 * With several producers, one that holds the reservation word (a few
 * stores long) and is stopped or preempted keeps the others waiting: they
 * spin, then look again every millisecond (a try fails -EAGAIN).
 *
 * Return: 0, -EMSGSIZE above shmdev_ring_max_msg(), -EAGAIN (try),
 * -ETIMEDOUT, -EINTR (a signal while asleep), -ESTALE (the ring was
 * created again), or another -errno of shmdev_wait().
 */
int shmdev_ring_reserve(struct shmdev_ring *ring, size_t len,
			int64_t timeout_ns, void **msg);

/**
 * shmdev_ring_commit() - publish a reserved message
 * @ring: the handle that reserved it
 * @msg: what shmdev_ring_reserve() gave
 *
 * Return: 0, -EINVAL when @msg is no reservation of this process still
 * pending, or the error of shmdev_notify() (the message is committed).
 */
int shmdev_ring_commit(struct shmdev_ring *ring, void *msg);

/**
 * shmdev_ring_peek() - the oldest message not released
 * @ring: the handle
 * @timeout_ns: how long to wait for one (see above)
 * @msg: on success, the message, readable in place until released
 * @len: on success, its length
 *
 * Peeking again before releasing gives the same message.
 *
 * Return: 0, -EAGAIN (try), -ETIMEDOUT, -EINTR, -EBADMSG when the ring's
 * records are not consistent (memory written by something else), or
 * another -errno of shmdev_wait().
 */
int shmdev_ring_peek(struct shmdev_ring *ring, int64_t timeout_ns,
		     const void **msg, size_t *len);

/**
 * shmdev_ring_release() - give back the message shmdev_ring_peek() gave
 * @ring: the handle
 * @msg: that message
 *
 * Return: 0, -EINVAL when @msg is not the message peeked at, -ESTALE when
 * the ring was created again since, or the error of shmdev_notify() (the
 * message is released).
 */
int shmdev_ring_release(struct shmdev_ring *ring, const void *msg);

/**
 * shmdev_ring_max_msg() - the largest message the ring takes
 * @ring: the handle
 */
size_t shmdev_ring_max_msg(const struct shmdev_ring *ring);

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

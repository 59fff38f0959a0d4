/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * shmdev: a shared-memory character device with a wait/notify channel.
 *
 * Documentation/userspace-api/shmdev.rst describes every ioctl, its fields
 * and its errors.
 */

#ifndef _UAPI_LINUX_SHMDEV_H
#define _UAPI_LINUX_SHMDEV_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * Length of a region name, with its terminating NUL: a name has 1 to
 * SHMDEV_NAME_MAX - 1 bytes and no '/'.
 */
#define SHMDEV_NAME_MAX		64

/* Flags of struct shmdev_wait. */
#define SHMDEV_WAIT_ABSTIME	0x1	/* timeout_ns is a CLOCK_MONOTONIC time */

/**
 * struct shmdev_wait - argument of %SHMDEV_IOC_WAIT
 * @seq: in: the sequence the caller last saw; out: the current sequence
 * @timeout_ns: relative timeout in nanoseconds: negative waits forever,
 *	0 does not block; with %SHMDEV_WAIT_ABSTIME, the CLOCK_MONOTONIC time
 *	in nanoseconds at which the wait ends
 * @flags: 0 or %SHMDEV_WAIT_ABSTIME. A wait with a relative timeout that
 *	a signal interrupts rewrites @timeout_ns as its absolute deadline and
 *	sets %SHMDEV_WAIT_ABSTIME, so that the restarted call (or a call
 *	repeated after EINTR) keeps the deadline.
 * @pad: must be 0
 */
struct shmdev_wait {
	__u64 seq;
	__s64 timeout_ns;
	__u32 flags;
	__u32 pad;
};

/**
 * struct shmdev_info - result of %SHMDEV_IOC_GET_INFO
 * @size: size of the region in bytes
 * @max_size: largest size the region may be given, in bytes
 * @seq: current notification sequence
 * @nr_pages: pages of the region currently allocated
 * @nr_mappings: memory mappings (VMAs) of the region in all processes
 * @nr_files: open files bound to the region
 * @id: number of the region, as in the listing /proc/shmdev/regions; the
 *	default region is 1
 * @flags: SHMDEV_INFO_* flags
 * @uid: owner of the region, in the caller's user namespace
 * @gid: group of the region, in the caller's user namespace
 * @mode: permission bits of the region (0777 at most)
 * @charged_uid: user charged for the region's reserved memory, in the
 *	caller's user namespace; (__u32)-1 when nothing is charged
 * @charged: bytes of memory reserved for the region (its size rounded up
 *	to whole pages) and charged to @charged_uid
 * @reserved: written as 0; room for later fields
 */
struct shmdev_info {
	__u64 size;
	__u64 max_size;
	__u64 seq;
	__u64 nr_pages;
	__u32 nr_mappings;
	__u32 nr_files;
	__u32 id;
	__u32 flags;
	__u32 uid;
	__u32 gid;
	__u32 mode;
	__u32 charged_uid;
	__u64 charged;
	__u64 reserved[6];
};

/* Flags of struct shmdev_info. */
#define SHMDEV_INFO_DEFAULT	0x1	/* the default region of /dev/shmdev */
#define SHMDEV_INFO_NAMED	0x2	/* has a name that SHMDEV_IOC_OPEN finds */
#define SHMDEV_INFO_AUTOREMOVE	0x4	/* created with SHMDEV_OPEN_AUTOREMOVE */
#define SHMDEV_INFO_NOHUGE	0x8	/* created with SHMDEV_OPEN_NOHUGE */

/* Flags of struct shmdev_page_info. */
#define SHMDEV_PAGE_RESIDENT	0x01	/* in the region's page cache */
#define SHMDEV_PAGE_DIRTY	0x02	/* PG_dirty */
#define SHMDEV_PAGE_LOCKED	0x04	/* PG_locked */
#define SHMDEV_PAGE_LRU		0x08	/* PG_lru: on an LRU list */
#define SHMDEV_PAGE_UNEVICTABLE	0x10	/* PG_unevictable */
#define SHMDEV_PAGE_UPTODATE	0x20	/* PG_uptodate */
#define SHMDEV_PAGE_PMD_MAPPED	0x40	/* its huge folio is mapped by a PMD */

/**
 * struct shmdev_page_info - state of one page of a region
 * @pfn: page frame number, for %CAP_SYS_ADMIN callers only; 0 otherwise
 *	and for a page that is not resident
 * @refcount: references to the page's folio, less the one the query held
 *	while it looked
 * @mapcount: page table entries mapping the page's folio, in all
 *	processes
 * @flags: %SHMDEV_PAGE_RESIDENT and, for a resident page, the other
 *	SHMDEV_PAGE_* flags that are set
 * @order: the folio's order: it spans 2^@order pages
 *
 * Every field is 0 for a page that is not resident. The values are a
 * snapshot taken without locking the page.
 */
struct shmdev_page_info {
	__u64 pfn;
	__u32 refcount;
	__u32 mapcount;
	__u32 flags;
	__u32 order;
};

/**
 * struct shmdev_page_query - argument of %SHMDEV_IOC_PAGE_INFO
 * @index: first page to report, in pages from the start of the region
 * @pages: user address of an array of @count struct shmdev_page_info
 * @count: in: entries in @pages; out: entries filled, one per page from
 *	@index on, stopping at the last page inside the size
 * @flags: must be 0
 */
struct shmdev_page_query {
	__u64 index;
	__u64 pages;
	__u32 count;
	__u32 flags;
};

/* Flags of struct shmdev_open. */
#define SHMDEV_OPEN_CREATE	0x01	/* create the region if the name is free */
#define SHMDEV_OPEN_EXCL	0x02	/* with CREATE: fail EEXIST if it exists */
#define SHMDEV_OPEN_RDONLY	0x04	/* a read-only file; else read-write */
#define SHMDEV_OPEN_CLOEXEC	0x08	/* the new fd is close-on-exec */
/* With CREATE: the name goes away when the last file and mapping close. */
#define SHMDEV_OPEN_AUTOREMOVE	0x10
/* With CREATE: the region's pages are never huge (PMD-size) folios. */
#define SHMDEV_OPEN_NOHUGE	0x20

/**
 * struct shmdev_open - argument of %SHMDEV_IOC_OPEN
 * @name: the region's name, NUL-terminated: 1 to %SHMDEV_NAME_MAX - 1
 *	bytes, no '/'; the bytes after the NUL are ignored
 * @size: with %SHMDEV_OPEN_CREATE, the size in bytes of a region that the
 *	call creates; ignored when the region exists
 * @flags: SHMDEV_OPEN_* flags
 * @mode: with %SHMDEV_OPEN_CREATE, the permission bits of a region that the
 *	call creates (0777 at most), less the caller's umask
 * @reserved: must be 0
 */
struct shmdev_open {
	char name[SHMDEV_NAME_MAX];
	__u64 size;
	__u32 flags;
	__u32 mode;
	__u64 reserved[2];
};

/**
 * struct shmdev_name - argument of %SHMDEV_IOC_UNLINK
 * @name: as in struct shmdev_open
 */
struct shmdev_name {
	char name[SHMDEV_NAME_MAX];
};

/*
 * The control page: one page that mmap() maps at file offset
 * SHMDEV_CTRL_OFFSET (length one page), shared by every file of a region.
 * It holds the region's notification sequence, which a notifier may
 * increment in place instead of calling %SHMDEV_IOC_NOTIFY, and tells
 * whether a task may be asleep on the region's wait queue, so that such a
 * notifier calls %SHMDEV_IOC_WAKE only then. A file opened read-only maps
 * it read-only. Offsets from SHMDEV_CTRL_OFFSET on are never region data.
 */
#define SHMDEV_CTRL_OFFSET	_BITULL(42)

/**
 * struct shmdev_ctrl - the start of the control page
 * @seq: the region's notification sequence; %SHMDEV_IOC_NOTIFY increments
 *	it, and so may userspace, with an atomic fetch-and-add
 * @waiting: nonzero while a task may be asleep in %SHMDEV_IOC_WAIT or in
 *	poll() on the region; written by the kernel only
 * @pad: 0
 *
 * A notifier that increments @seq itself must then (after a full memory
 * barrier, which a sequentially consistent fetch-and-add provides) read
 * @waiting, and call %SHMDEV_IOC_WAKE when it is nonzero; the kernel
 * publishes @waiting before it reads @seq and goes to sleep. The rest of
 * the page reads as zero.
 */
struct shmdev_ctrl {
	__u64 seq;
	__u32 waiting;
	__u32 pad;
};

/*
 * The ioctl type code 0xBE is not assigned in the kernel's
 * Documentation/userspace-api/ioctl/ioctl-number.rst; shmdev uses numbers
 * 0x00 to 0x1F of it (Documentation/userspace-api/shmdev.rst).
 */
#define SHMDEV_IOC_MAGIC	0xBE

#define SHMDEV_IOC_SET_SIZE	_IOW(SHMDEV_IOC_MAGIC, 0x00, __u64)
#define SHMDEV_IOC_GET_SIZE	_IOR(SHMDEV_IOC_MAGIC, 0x01, __u64)
#define SHMDEV_IOC_NOTIFY	_IOR(SHMDEV_IOC_MAGIC, 0x02, __u64)
#define SHMDEV_IOC_WAIT		_IOWR(SHMDEV_IOC_MAGIC, 0x03, struct shmdev_wait)
#define SHMDEV_IOC_GET_INFO	_IOR(SHMDEV_IOC_MAGIC, 0x04, struct shmdev_info)
#define SHMDEV_IOC_PAGE_INFO	_IOWR(SHMDEV_IOC_MAGIC, 0x05, struct shmdev_page_query)
#define SHMDEV_IOC_OPEN		_IOW(SHMDEV_IOC_MAGIC, 0x06, struct shmdev_open)
#define SHMDEV_IOC_UNLINK	_IOW(SHMDEV_IOC_MAGIC, 0x07, struct shmdev_name)
#define SHMDEV_IOC_WAKE		_IO(SHMDEV_IOC_MAGIC, 0x08)

#endif /* _UAPI_LINUX_SHMDEV_H */

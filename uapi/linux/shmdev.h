/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * shmdev: a shared-memory character device with a wait/notify channel.
 *
 * Documentation/userspace-api/shmdev.rst describes every ioctl, its fields
 * and its errors.
 */

#ifndef __UAPI_LINUX_SHMDEV_H
#define __UAPI_LINUX_SHMDEV_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * struct shmdev_wait - argument of %SHMDEV_IOC_WAIT
 * @seq: in: the sequence the caller last saw; out: the current sequence
 * @timeout_ns: relative timeout in nanoseconds; negative waits forever,
 *	0 does not block
 * @flags: must be 0
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
 * @reserved: written as 0; room for later fields
 */
struct shmdev_info {
	__u64 size;
	__u64 max_size;
	__u64 seq;
	__u64 nr_pages;
	__u32 nr_mappings;
	__u32 nr_files;
	__u64 reserved[10];
};

/* Flags of struct shmdev_page_info. */
#define SHMDEV_PAGE_RESIDENT	0x01	/* in the region's page cache */
#define SHMDEV_PAGE_DIRTY	0x02	/* PG_dirty */
#define SHMDEV_PAGE_LOCKED	0x04	/* PG_locked */
#define SHMDEV_PAGE_LRU		0x08	/* PG_lru: on an LRU list */
#define SHMDEV_PAGE_UNEVICTABLE	0x10	/* PG_unevictable */
#define SHMDEV_PAGE_UPTODATE	0x20	/* PG_uptodate */

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

/* 0xBE is not assigned in Documentation/userspace-api/ioctl/ioctl-number.rst. */
#define SHMDEV_IOC_MAGIC	0xBE

#define SHMDEV_IOC_SET_SIZE	_IOW(SHMDEV_IOC_MAGIC, 0x00, __u64)
#define SHMDEV_IOC_GET_SIZE	_IOR(SHMDEV_IOC_MAGIC, 0x01, __u64)
#define SHMDEV_IOC_NOTIFY	_IOR(SHMDEV_IOC_MAGIC, 0x02, __u64)
#define SHMDEV_IOC_WAIT		_IOWR(SHMDEV_IOC_MAGIC, 0x03, struct shmdev_wait)
#define SHMDEV_IOC_GET_INFO	_IOR(SHMDEV_IOC_MAGIC, 0x04, struct shmdev_info)
#define SHMDEV_IOC_PAGE_INFO	_IOWR(SHMDEV_IOC_MAGIC, 0x05, struct shmdev_page_query)

#endif /* __UAPI_LINUX_SHMDEV_H */

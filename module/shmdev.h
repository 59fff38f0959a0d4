/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces of the shmdev module: the region object (region.c)
 * and the character device that binds files to it (main.c).
 */

#ifndef SHMDEV_INTERNAL_H
#define SHMDEV_INTERNAL_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/mm_types.h>
#include <linux/poll.h>
#include <linux/types.h>
#include <linux/uio.h>
#include <linux/wait.h>

#include <linux/shmdev.h>

/**
 * struct shmdev_region - a shared memory region
 * @refcount: references to the region; see "Lifetime" in region.c
 * @inode: private inode of the shmdev pseudo file system; its page cache
 *	(@inode->i_mapping) holds the region's pages and its i_size the
 *	region's size in bytes
 * @max_size: largest size the region may take, in bytes, a multiple of
 *	PAGE_SIZE; fixed at creation
 * @nr_files: open files bound to the region
 * @nr_mappings: VMAs mapping the region, in all processes
 * @seq: notification sequence; changes only under @wq.lock, read without
 *	it (see notify.c)
 * @wq: tasks in SHMDEV_IOC_WAIT and pollers of files bound to the region
 *
 * The locking rules of the pages and the size are described in region.c,
 * those of the notification in notify.c.
 */
struct shmdev_region {
	struct kref refcount;
	struct inode *inode;
	u64 max_size;
	atomic_t nr_files;
	atomic_t nr_mappings;

	/* Notification: @seq is written with @wq.lock held. */
	atomic64_t seq;
	wait_queue_head_t wq;
};

/**
 * struct shmdev_file - state of one open file of /dev/shmdev
 * @region: the region the file is bound to; the file holds a reference
 * @acked_seq: the sequence this file last acknowledged (at open, by a
 *	successful WAIT or a NOTIFY through it); poll reports a readable
 *	file while the region's sequence differs from it
 */
struct shmdev_file {
	struct shmdev_region *region;
	atomic64_t acked_seq;
};

int shmdev_fs_init(void);
void shmdev_fs_exit(void);

struct shmdev_region *shmdev_region_create(u64 max_size);
struct shmdev_region *shmdev_region_get(struct shmdev_region *region);
void shmdev_region_put(struct shmdev_region *region);

u64 shmdev_region_size(struct shmdev_region *region);
int shmdev_region_set_size(struct shmdev_region *region, u64 size);
void shmdev_region_info(struct shmdev_region *region, struct shmdev_info *info);

u64 shmdev_region_seq(struct shmdev_region *region);
u64 shmdev_region_notify(struct shmdev_region *region);
int shmdev_region_wait(struct shmdev_region *region, u64 *seq, s64 timeout_ns);
__poll_t shmdev_region_poll(struct shmdev_region *region, struct file *file,
			    atomic64_t *acked_seq, poll_table *wait);

int shmdev_region_mmap(struct shmdev_region *region, struct vm_area_struct *vma);
ssize_t shmdev_region_read(struct shmdev_region *region, struct kiocb *iocb,
			   struct iov_iter *to);
ssize_t shmdev_region_write(struct shmdev_region *region, struct kiocb *iocb,
			    struct iov_iter *from);

#endif /* SHMDEV_INTERNAL_H */

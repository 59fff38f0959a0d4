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
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/percpu.h>
#include <linux/poll.h>
#include <linux/types.h>
#include <linux/uio.h>
#include <linux/wait.h>

#include <linux/shmdev.h>

/**
 * struct shmdev_region - a shared memory region
 * @refcount: references to the region; see "Lifetime" in region.c
 * @id: number of the region in debugfs, fdinfo and trace events; fixed at
 *	creation
 * @node: in the list of all regions, under shmdev_regions_lock (region.c)
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
 * @nr_faults: calls of the fault handler, for debugfs (exact)
 * @nr_notifies: NOTIFY calls, for debugfs (exact)
 * @nr_waits: WAIT calls, for debugfs (exact)
 *
 * The locking rules of the pages and the size are described in region.c,
 * those of the notification in notify.c.
 */
struct shmdev_region {
	struct kref refcount;
	u32 id;
	struct list_head node;
	struct inode *inode;
	u64 max_size;
	atomic_t nr_files;
	atomic_t nr_mappings;

	/* Notification: @seq is written with @wq.lock held. */
	atomic64_t seq;
	wait_queue_head_t wq;

	atomic64_t nr_faults;
	atomic64_t nr_notifies;
	atomic64_t nr_waits;
};

/**
 * struct shmdev_file - state of one open file of /dev/shmdev
 * @region: the region the file is bound to; the file holds a reference
 * @acked_seq: the sequence this file last acknowledged (at open, by a
 *	successful WAIT or NOTIFY through it, once its result reached
 *	userspace); poll reports a readable file while the region's sequence
 *	differs from it. No lock: only shmdev_file_ack() moves it, forward,
 *	by compare-and-exchange.
 */
struct shmdev_file {
	struct shmdev_region *region;
	atomic64_t acked_seq;
};

/*
 * Module-wide event counters, in debugfs shmdev/stats. Per CPU, so that
 * counting costs no shared cache line; each event is counted exactly once,
 * and the sum over all CPUs is exact once the events being counted are
 * over.
 */
enum shmdev_stat {
	SHMDEV_STAT_PAGES_ALLOCATED,	/* pages added to a region's page cache */
	SHMDEV_STAT_PAGES_FREED,	/* pages removed from it */
	SHMDEV_STAT_FAULTS,		/* calls of the fault handler */
	SHMDEV_STAT_SIGBUS,		/* faults answered VM_FAULT_SIGBUS */
	SHMDEV_STAT_RESIZES,		/* successful SET_SIZE calls */
	SHMDEV_STAT_NOTIFIES,		/* NOTIFY calls */
	SHMDEV_STAT_WAITS,		/* WAIT calls */
	/* Calls of the file operations, whatever their outcome. */
	SHMDEV_STAT_OPENS,		/* ->open */
	SHMDEV_STAT_RELEASES,		/* ->release: last close of a file */
	SHMDEV_STAT_IOCTLS,		/* ->unlocked_ioctl, known or not */
	SHMDEV_STAT_MMAPS,		/* ->mmap */
	SHMDEV_STAT_READS,		/* ->read_iter */
	SHMDEV_STAT_WRITES,		/* ->write_iter */
	SHMDEV_STAT_SEEKS,		/* ->llseek */
	SHMDEV_STAT_POLLS,		/* ->poll */
	SHMDEV_NR_STATS
};

struct shmdev_stats {
	u64 count[SHMDEV_NR_STATS];
};

DECLARE_PER_CPU(struct shmdev_stats, shmdev_stats);

static inline void shmdev_count(enum shmdev_stat stat)
{
	this_cpu_inc(shmdev_stats.count[stat]);
}

struct seq_file;

void shmdev_debugfs_init(void);
void shmdev_debugfs_exit(void);
void shmdev_regions_show(struct seq_file *m);

int shmdev_fs_init(void);
void shmdev_fs_exit(void);

struct shmdev_region *shmdev_region_create(u64 max_size);
struct shmdev_region *shmdev_region_get(struct shmdev_region *region);
void shmdev_region_put(struct shmdev_region *region);

u64 shmdev_region_size(struct shmdev_region *region);
int shmdev_region_set_size(struct shmdev_region *region, u64 size);
void shmdev_region_info(struct shmdev_region *region, struct shmdev_info *info);
u64 shmdev_region_page_count(struct shmdev_region *region);
void shmdev_region_page_info(struct shmdev_region *region, pgoff_t index,
			     bool show_pfn, struct shmdev_page_info *info);

u64 shmdev_region_seq(struct shmdev_region *region);
u64 shmdev_region_notify(struct shmdev_region *region);
void shmdev_file_ack(atomic64_t *acked_seq, u64 seq);
int shmdev_region_wait(struct shmdev_region *region, u64 *seq, s64 timeout_ns);
__poll_t shmdev_region_poll(struct shmdev_region *region, struct file *file,
			    atomic64_t *acked_seq, poll_table *wait);

int shmdev_region_mmap(struct shmdev_region *region, struct vm_area_struct *vma);
ssize_t shmdev_region_read(struct shmdev_region *region, struct kiocb *iocb,
			   struct iov_iter *to);
ssize_t shmdev_region_write(struct shmdev_region *region, struct kiocb *iocb,
			    struct iov_iter *from);

#endif /* SHMDEV_INTERNAL_H */

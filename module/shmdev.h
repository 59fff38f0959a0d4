/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces of the shmdev module, one section per source file.
 *
 * The objects, and which file owns each:
 *
 *  - struct shmdev_region (region.c): the shared memory, its size, owner,
 *    mode, name, charge and notification state;
 *  - the name table (names.c): which regions a name reaches, per IPC
 *    namespace;
 *  - struct shmdev_user (account.c): a user charged for region memory;
 *  - struct shmdev_file (file.c): one open file bound to a region.
 *
 * A call enters through file.c (or the fault handler in fault.c), which
 * calls down into the file that owns the job; nothing calls back up.
 */

#ifndef SHMDEV_INTERNAL_H
#define SHMDEV_INTERNAL_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/percpu.h>
#include <linux/poll.h>
#include <linux/rhashtable-types.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/uio.h>
#include <linux/wait.h>

#include <linux/shmdev.h>

struct ipc_namespace;
struct seq_file;
struct shmdev_ns;
struct shmdev_user;

/*
 * The key of the name table: the IPC namespace a name lives in and the
 * name, NUL-padded to its full length so that keys compare with memcmp().
 */
struct shmdev_name_key {
	struct ipc_namespace *ipc_ns;
	char name[SHMDEV_NAME_MAX];
};

/**
 * struct shmdev_region - a shared memory region
 * @refcount: references to the region; see "Lifetime" in region.c
 * @id: number of the region in listings, fdinfo and trace events; the
 *	default region is 1. Fixed at creation.
 * @flags: SHMDEV_INFO_DEFAULT, SHMDEV_INFO_AUTOREMOVE and
 *	SHMDEV_INFO_NOHUGE; fixed at creation
 * @cuid: creator's fsuid, which may unlink the name; fixed at creation
 * @node: in the list of all regions, under shmdev_regions_lock (region.c)
 * @inode: private inode of the shmdev pseudo file system; its page cache
 *	(@inode->i_mapping) holds the region's pages, its i_size the size in
 *	bytes, its i_uid, i_gid and i_mode the owner, group and permissions
 * @max_size: largest size the region may take, in bytes, a multiple of
 *	PAGE_SIZE; fixed at creation
 * @key: the region's namespace and name; set before the region is
 *	published, then constant
 * @ipc_inum: inode number of @key.ipc_ns, for debugfs, which may show the
 *	region after the namespace is gone; constant as @key
 * @hash: in the name table while @ns is set
 * @ns: the namespace entry whose name table reaches the region, NULL when
 *	it has no name (the default region, or once unlinked)
 * @ns_node: in @ns's list of named regions
 * @payer: the user charged for the region's reserved pages, or NULL
 * @charged: pages reserved and charged to @payer
 * @nr_files: open files bound to the region
 * @ctrl_page: the control page (ctrl.c), allocated with the region and
 *	freed with it; mappings of it hold references of their own
 * @ctrl: page_address(@ctrl_page): the notification sequence and the
 *	waiting word, which userspace may write through a writable mapping
 *	at any time; see notify.c for how the kernel reads and writes them
 * @wq: tasks in SHMDEV_IOC_WAIT and pollers of files bound to the region
 * @nr_faults: calls of the fault handler, per CPU so that a fault writes
 *	no cache line that other CPUs share, for debugfs
 * @nr_notifies: NOTIFY calls, for debugfs (exact)
 * @nr_waits: WAIT calls, for debugfs (exact)
 */
struct shmdev_region {
	struct kref refcount;
	u32 id;
	u32 flags;
	kuid_t cuid;
	struct list_head node;
	struct inode *inode;
	u64 max_size;

	/* The name: @hash, @ns and @ns_node under shmdev_names_lock. */
	struct shmdev_name_key key;
	unsigned int ipc_inum;
	struct rhash_head hash;
	struct shmdev_ns *ns;
	struct list_head ns_node;

	/*
	 * The charge: written with the mapping's invalidate_lock held
	 * exclusive and shmdev_account_lock held; read under either.
	 */
	struct shmdev_user *payer;
	unsigned long charged;

	atomic_t nr_files;

	/*
	 * Notification: see notify.c. @ctrl_page and @ctrl are fixed from
	 * creation to release; @ctrl->waiting is written by the kernel only
	 * under @wq.lock.
	 */
	struct page *ctrl_page;
	struct shmdev_ctrl *ctrl;
	wait_queue_head_t wq;

	u64 __percpu *nr_faults;
	atomic64_t nr_notifies;
	atomic64_t nr_waits;
};

/*
 * The page offset of the control page (ctrl.c). Region data lies below
 * every region's max_size, which is at most SHMDEV_CTRL_OFFSET
 * (region.c checks it), so the two never overlap.
 */
#define SHMDEV_CTRL_PGOFF	((pgoff_t)(SHMDEV_CTRL_OFFSET >> PAGE_SHIFT))

/*
 * Module-wide event counters, in debugfs shmdev/stats. Per CPU, so that
 * counting costs no shared cache line; each event is counted exactly once,
 * and the sum over all CPUs is exact once the events being counted are
 * over.
 */
enum shmdev_stat {
	SHMDEV_STAT_PAGES_ALLOCATED,	/* pages added to a region's page cache */
	SHMDEV_STAT_PAGES_FREED,	/* pages removed from it */
	SHMDEV_STAT_HUGE_ALLOCATED,	/* PMD-size folios among those pages */
	SHMDEV_STAT_HUGE_FALLBACKS,	/* huge folios tried, small ones used */
	SHMDEV_STAT_HUGE_COPIED,	/* huge folios a shrink cut, copied out */
	SHMDEV_STAT_FAULTS,		/* calls of the fault handler */
	SHMDEV_STAT_SIGBUS,		/* faults answered VM_FAULT_SIGBUS */
	SHMDEV_STAT_RESIZES,		/* successful size changes */
	SHMDEV_STAT_NOTIFIES,		/* NOTIFY calls */
	SHMDEV_STAT_WAITS,		/* WAIT calls */
	SHMDEV_STAT_WAKES,		/* WAKE calls */
	/* Calls of the file operations, whatever their outcome. */
	SHMDEV_STAT_OPENS,		/* ->open, and SHMDEV_IOC_OPEN */
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

/* The largest max_size the module accepts: 1 TiB. */
#define SHMDEV_MAX_SIZE_LIMIT	BIT_ULL(40)

/* main.c: module parameters, read without a lock. */
extern u64 shmdev_max_size;
extern unsigned int shmdev_max_regions;
extern u64 shmdev_max_total_size;
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
extern bool shmdev_huge_pages;
#endif

/* file.c */
extern const struct file_operations shmdev_fops;

/* region.c */
extern struct shmdev_region *shmdev_default_region;
int shmdev_regions_init(void);
void shmdev_regions_exit(void);
struct shmdev_region *shmdev_region_create(umode_t mode, u32 flags);
void shmdev_region_publish(struct shmdev_region *region);
struct shmdev_region *shmdev_region_get(struct shmdev_region *region);
void shmdev_region_put(struct shmdev_region *region);
bool shmdev_region_named(struct shmdev_region *region);
void shmdev_region_info(struct shmdev_region *region, struct shmdev_info *info);
void shmdev_regions_show(struct seq_file *m);
void shmdev_region_list_line(struct seq_file *m, struct shmdev_region *region);

/* names.c */
int shmdev_names_init(void);
void shmdev_names_exit(void);
struct shmdev_region *shmdev_name_open(const struct shmdev_open *args,
				       bool *created);
void shmdev_name_abort(struct shmdev_region *region);
int shmdev_name_unlink(const struct shmdev_name *args);
void shmdev_region_bind(struct shmdev_region *region);
void shmdev_region_unbind(struct shmdev_region *region);
void shmdev_names_show(struct seq_file *m, struct shmdev_region *def);

/* account.c */
int shmdev_account_init(void);
int shmdev_may_open(struct shmdev_region *region, bool write);
int shmdev_may_unlink(struct shmdev_region *region,
		      struct ipc_namespace *ipc_ns);
int shmdev_charge_resize(struct shmdev_region *region, u64 size);
void shmdev_charge_release(struct shmdev_region *region);
bool shmdev_charge_get(struct shmdev_region *region, kuid_t *uid, u64 *bytes);
void shmdev_users_show(struct seq_file *m);

/* fs.c */
int shmdev_fs_init(void);
void shmdev_fs_exit(void);
struct inode *shmdev_fs_inode(struct shmdev_region *region, umode_t mode);
void shmdev_fs_inode_put(struct shmdev_region *region);
struct file *shmdev_fs_file(struct shmdev_region *region, int flags,
			    const struct file_operations *fops);

/* pages.c */
void shmdev_pages_init_mapping(struct address_space *mapping);
struct folio *shmdev_find_folio(struct address_space *mapping, pgoff_t index);
u64 shmdev_region_size(struct shmdev_region *region);
int shmdev_region_set_size(struct shmdev_region *region, u64 size);
u64 shmdev_region_page_count(struct shmdev_region *region);
struct folio *shmdev_region_folio(struct shmdev_region *region,
				  pgoff_t index, bool huge, bool *allocated);
void shmdev_region_page_info(struct shmdev_region *region, pgoff_t index,
			     bool show_pfn, struct shmdev_page_info *info);

/* fault.c */
int shmdev_region_mmap(struct shmdev_region *region, struct vm_area_struct *vma);
unsigned int shmdev_region_nr_mappings(struct shmdev_region *region);

/* huge.c */

/*
 * A shrink that cuts a huge folio: @huge is that folio (with a
 * reference), @pages the copies-to-be of its first @nr pages, the ones
 * the shrink keeps: allocated beforehand, so that the shrink cannot fail
 * half-way.
 */
struct shmdev_cut {
	struct folio *huge;
	struct folio **pages;
	unsigned int nr;
};

struct folio *shmdev_huge_add(struct shmdev_region *region, pgoff_t index);
int shmdev_huge_cut_prepare(struct shmdev_region *region, struct folio *folio,
			    u64 size, struct shmdev_cut *cut);
void shmdev_huge_cut_fill(struct shmdev_region *region, u64 size,
			  struct shmdev_cut *cut);
void shmdev_huge_cut_free(struct shmdev_cut *cut);

/* io.c */
ssize_t shmdev_region_read(struct shmdev_region *region, struct kiocb *iocb,
			   struct iov_iter *to);
ssize_t shmdev_region_write(struct shmdev_region *region, struct kiocb *iocb,
			    struct iov_iter *from);
loff_t shmdev_region_llseek(struct shmdev_region *region, struct file *file,
			    loff_t offset, int whence);

/* ctrl.c */
int shmdev_ctrl_init(struct shmdev_region *region);
void shmdev_ctrl_free(struct shmdev_region *region);
int shmdev_ctrl_mmap(struct shmdev_region *region, struct vm_area_struct *vma);

/* notify.c */
u64 shmdev_region_seq(struct shmdev_region *region);
u64 shmdev_region_notify(struct shmdev_region *region);
void shmdev_region_wake(struct shmdev_region *region);
void shmdev_file_ack(atomic64_t *acked_seq, u64 seq);
int shmdev_region_wait(struct shmdev_region *region, u64 *seq,
		       const ktime_t *deadline);
__poll_t shmdev_region_poll(struct shmdev_region *region, struct file *file,
			    atomic64_t *acked_seq, poll_table *wait);

/* debug.c */
void shmdev_debugfs_init(void);
void shmdev_debugfs_exit(void);
int shmdev_proc_init(void);
void shmdev_proc_exit(void);

#endif /* SHMDEV_INTERNAL_H */

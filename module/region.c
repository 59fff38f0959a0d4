// SPDX-License-Identifier: GPL-2.0
/*
 * shmdev regions: shared pages in the page cache of a private inode,
 * allocated by the fault handler, sized by SHMDEV_IOC_SET_SIZE.
 */

#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/highmem.h>
#include <linux/lockdep.h>
#include <linux/math.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/overflow.h>
#include <linux/pagemap.h>
#include <linux/pseudo_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uio.h>

#include "compat.h"
#include "shmdev.h"
#include "shmdev_trace.h"

/*
 * Object model
 * ============
 *
 * A region (struct shmdev_region) is the shared memory itself. Its bytes
 * live in the page cache of a private inode, allocated with
 * alloc_anon_inode() on a pseudo file system that the module mounts
 * internally and that userspace never sees. Every open file bound to the
 * region has that inode's address_space as its f_mapping, so every VMA
 * that maps the file is linked into the address_space's i_mmap tree, as a
 * mapping of a regular file is. From this follows, with no code of ours:
 *
 *  - unmap_mapping_range() and rmap reach every mapping of the region in
 *    every process, which is how a shrink revokes pages;
 *  - a page's ->mapping and ->index identify it, which is what the kernel
 *    builds shared futex keys from (pthread mutexes, semaphores);
 *  - /proc/PID/smaps, fault-around (filemap_map_pages()) and truncation
 *    treat the region as a file.
 *
 * Pages
 * =====
 *
 * A page is allocated zeroed on the first fault or write() that touches
 * it, charged to the memory cgroup of the task that touches it, added to
 * the page cache and marked dirty. The region has no backing store, so its
 * pages must never be dropped: the mapping is unevictable (reclaim leaves
 * it alone) and every page stays dirty (drop_caches, fadvise and
 * invalidation skip dirty pages). A pseudo file system does no writeback,
 * so nothing ever cleans a page; noop_dirty_folio() sets the flag without
 * dirty accounting. Pages are movable: compaction migrates them with
 * filemap_migrate_folio().
 *
 * Lifetime
 * ========
 *
 * @refcount counts one reference of the region's creator (the module, for
 * the default region) and one per open file bound to it. A mapping holds a
 * reference to its struct file, and so to the region. Users of a single
 * page (a fault, read(), write(), GUP) hold a reference to that page only:
 * truncation drops the page cache's reference and the page is freed at its
 * last put. The last reference to the region releases the inode, which
 * truncates the page cache.
 *
 * Locking
 * =======
 *
 * The size is the inode's i_size. It changes only in
 * shmdev_region_set_size(), under the mapping's invalidate_lock held
 * exclusive, which also serialises the writers as i_size_write() requires;
 * readers use i_size_read().
 *
 * Every path that adds a page to the page cache (fault, write()) holds
 * invalidate_lock shared and checks the index against i_size under it, so
 * no page is created beyond the size, nor while a shrink is removing
 * pages. Pages already in the page cache are also mapped by fault-around
 * without invalidate_lock; it checks i_size with the folio locked, and
 * truncation locks each folio before removing it, so a page that a shrink
 * removes is never mapped again. read() holds a reference to each page
 * while it copies; data it returns may race with a concurrent shrink, as
 * for a regular file.
 *
 * Lock order: mmap_lock, then invalidate_lock, then the folio lock. No
 * path copies from or to userspace while holding invalidate_lock or a
 * folio lock, except with page faults disabled (write()).
 *
 * @nr_files and @nr_mappings are atomic counters for GET_INFO.
 *
 * shmdev_regions_lock protects the list of all regions (for debugfs) and
 * the id counter. A region is on the list from creation to its release, so
 * a reader that holds the lock may look at any region on it.
 */

/* "shmd": the pseudo file system is internal; this only names its superblock. */
#define SHMDEV_FS_MAGIC		0x73686d64

static struct vfsmount *shmdev_mnt;

static LIST_HEAD(shmdev_regions);
static DEFINE_MUTEX(shmdev_regions_lock);
static u32 shmdev_last_id;

/*
 * The page cache has removed @folio (truncation, or the region's release);
 * its memory is freed at its last folio_put(). Migration moves a page to a
 * new folio without calling this, so pages allocated minus pages freed is
 * the number of pages in all regions.
 */
static void shmdev_free_folio(struct folio *folio)
{
	shmdev_count(SHMDEV_STAT_PAGES_FREED);
	trace_shmdev_page_free(folio->index, folio_pfn(folio));
}

static const struct address_space_operations shmdev_aops = {
	.dirty_folio	= noop_dirty_folio,
	.migrate_folio	= filemap_migrate_folio,
	.free_folio	= shmdev_free_folio,
};

static int shmdev_init_fs_context(struct fs_context *fc)
{
	if (!init_pseudo(fc, SHMDEV_FS_MAGIC))
		return -ENOMEM;
	fc->s_iflags |= SB_I_NOEXEC | SB_I_NODEV;
	return 0;
}

static struct file_system_type shmdev_fs_type = {
	.name		 = "shmdev",
	.init_fs_context = shmdev_init_fs_context,
	.kill_sb	 = kill_anon_super,
};

/**
 * shmdev_fs_init() - mount the internal pseudo file system
 *
 * Return: 0 or a negative errno.
 * Context: Module load.
 */
int shmdev_fs_init(void)
{
	shmdev_mnt = kern_mount(&shmdev_fs_type);
	return PTR_ERR_OR_ZERO(shmdev_mnt);
}

/**
 * shmdev_fs_exit() - unmount the internal pseudo file system
 *
 * Context: Module unload, after the last region was released.
 */
void shmdev_fs_exit(void)
{
	kern_unmount(shmdev_mnt);
}

/**
 * shmdev_region_create() - create an empty region
 * @max_size: largest size the region may take, a multiple of PAGE_SIZE
 *
 * Return: the region, with one reference for the caller, or an ERR_PTR().
 * Context: Process context; may sleep.
 */
struct shmdev_region *shmdev_region_create(u64 max_size)
{
	struct shmdev_region *region;
	struct address_space *mapping;
	struct inode *inode;

	if (WARN_ON(!PAGE_ALIGNED(max_size)))
		return ERR_PTR(-EINVAL);

	region = kzalloc(sizeof(*region), GFP_KERNEL);
	if (!region)
		return ERR_PTR(-ENOMEM);

	inode = alloc_anon_inode(shmdev_mnt->mnt_sb);
	if (IS_ERR(inode)) {
		kfree(region);
		return ERR_CAST(inode);
	}
	mapping = inode->i_mapping;
	mapping->a_ops = &shmdev_aops;
	mapping_set_gfp_mask(mapping, GFP_HIGHUSER_MOVABLE);
	mapping_set_unevictable(mapping);
	inode->i_private = region;

	kref_init(&region->refcount);
	region->inode = inode;
	region->max_size = max_size;
	atomic64_set(&region->seq, 0);
	init_waitqueue_head(&region->wq);

	mutex_lock(&shmdev_regions_lock);
	region->id = ++shmdev_last_id;
	list_add_tail(&region->node, &shmdev_regions);
	mutex_unlock(&shmdev_regions_lock);
	return region;
}

/**
 * shmdev_region_get() - take a reference to a region
 * @region: a region the caller already holds a reference to
 *
 * Return: @region.
 */
struct shmdev_region *shmdev_region_get(struct shmdev_region *region)
{
	kref_get(&region->refcount);
	return region;
}

static void shmdev_region_release(struct kref *kref)
{
	struct shmdev_region *region =
		container_of(kref, struct shmdev_region, refcount);

	mutex_lock(&shmdev_regions_lock);
	list_del(&region->node);
	mutex_unlock(&shmdev_regions_lock);
	/* No file, and so no mapping, is left: iput() frees every page. */
	iput(region->inode);
	kfree(region);
}

/**
 * shmdev_region_put() - drop a reference to a region
 * @region: the region
 *
 * The last reference frees the region and all its pages.
 * Context: Process context; may sleep.
 */
void shmdev_region_put(struct shmdev_region *region)
{
	kref_put(&region->refcount, shmdev_region_release);
}

/**
 * shmdev_region_size() - the size of a region in bytes
 * @region: the region
 *
 * Return: the size; it may change as soon as it is read.
 */
u64 shmdev_region_size(struct shmdev_region *region)
{
	return i_size_read(region->inode);
}

/* Number of pages inside the size: indices [0, n) may be populated. */
static pgoff_t shmdev_region_nr_pages(struct shmdev_region *region)
{
	lockdep_assert_held(&region->inode->i_mapping->invalidate_lock);
	return DIV_ROUND_UP_ULL(i_size_read(region->inode), PAGE_SIZE);
}

/*
 * The folio at @index, locked and with a reference; allocated, zeroed and
 * added to the page cache if absent, which sets *@allocated. -ERANGE when
 * @index is beyond the size. The caller holds invalidate_lock, shared or
 * exclusive.
 */
static struct folio *shmdev_region_folio(struct shmdev_region *region,
					 pgoff_t index, bool *allocated)
{
	struct address_space *mapping = region->inode->i_mapping;
	gfp_t gfp = mapping_gfp_mask(mapping);
	struct folio *folio;
	int err;

	if (index >= shmdev_region_nr_pages(region))
		return ERR_PTR(-ERANGE);

	for (;;) {
		folio = shmdev_lock_folio(mapping, index);
		if (folio)
			return folio;

		folio = filemap_alloc_folio(gfp | __GFP_ZERO, 0);
		if (!folio)
			return ERR_PTR(-ENOMEM);
		__folio_mark_uptodate(folio);
		/* Charges the memcg; returns the folio locked on success. */
		err = filemap_add_folio(mapping, folio, index, gfp);
		if (!err)
			break;
		folio_put(folio);
		/* -EEXIST: another fault added it first; use that one. */
		if (err != -EEXIST)
			return ERR_PTR(err);
	}
	/* Dirty for as long as it is in the page cache: never dropped. */
	folio_mark_dirty(folio);
	*allocated = true;
	shmdev_count(SHMDEV_STAT_PAGES_ALLOCATED);
	trace_shmdev_page_alloc(region->id, index, folio_pfn(folio));
	return folio;
}

/**
 * shmdev_region_set_size() - grow or shrink a region
 * @region: the region
 * @size: the new size in bytes
 *
 * Growing allocates nothing. Shrinking unmaps the pages wholly beyond
 * @size from every process, frees them, and zeroes the tail of a partial
 * last page.
 *
 * Return: 0, or -EFBIG when @size is above the region's maximum (nothing
 * changed).
 * Context: Process context; may sleep. Takes invalidate_lock.
 */
int shmdev_region_set_size(struct shmdev_region *region, u64 size)
{
	struct inode *inode = region->inode;
	struct address_space *mapping = inode->i_mapping;
	unsigned long nrpages;
	u64 old;

	if (size > region->max_size)
		return -EFBIG;

	filemap_invalidate_lock(mapping);
	old = i_size_read(inode);
	/* No page is added while invalidate_lock is held exclusive. */
	nrpages = READ_ONCE(mapping->nrpages);
	i_size_write(inode, size);
	/*
	 * Unmaps, then removes, the pages beyond the new size; locks each
	 * folio, so it waits for faults that are mapping one of them.
	 */
	if (size < old)
		truncate_pagecache(inode, size);
	trace_shmdev_resize(region->id, old, size,
			    nrpages - READ_ONCE(mapping->nrpages));
	filemap_invalidate_unlock(mapping);
	shmdev_count(SHMDEV_STAT_RESIZES);
	return 0;
}

/**
 * shmdev_region_info() - fill the region's part of struct shmdev_info
 * @region: the region
 * @info: filled with size, max_size, seq, nr_pages, nr_mappings, nr_files
 *
 * The values are a snapshot; each may change as soon as it is read.
 */
void shmdev_region_info(struct shmdev_region *region, struct shmdev_info *info)
{
	info->size = shmdev_region_size(region);
	info->max_size = region->max_size;
	info->seq = shmdev_region_seq(region);
	info->nr_pages = READ_ONCE(region->inode->i_mapping->nrpages);
	info->nr_mappings = atomic_read(&region->nr_mappings);
	info->nr_files = atomic_read(&region->nr_files);
}

/**
 * shmdev_region_page_count() - pages inside the size of a region
 * @region: the region
 *
 * Return: the number of page indices, from 0, that may hold a page; it may
 * change as soon as it is read.
 */
u64 shmdev_region_page_count(struct shmdev_region *region)
{
	return DIV_ROUND_UP_ULL(shmdev_region_size(region), PAGE_SIZE);
}

/**
 * shmdev_region_page_info() - the state of one page of a region
 * @region: the region
 * @index: the page
 * @show_pfn: report the page frame number (the caller is privileged)
 * @info: filled; all zero when the page is not resident
 *
 * A snapshot: the page is neither locked nor kept, so each value may
 * change as soon as it is read. The lookup's own reference is not counted.
 */
void shmdev_region_page_info(struct shmdev_region *region, pgoff_t index,
			     bool show_pfn, struct shmdev_page_info *info)
{
	struct folio *folio = shmdev_get_folio(region->inode->i_mapping, index);

	memset(info, 0, sizeof(*info));
	if (!folio)
		return;

	info->flags = SHMDEV_PAGE_RESIDENT;
	if (folio_test_dirty(folio))
		info->flags |= SHMDEV_PAGE_DIRTY;
	if (folio_test_locked(folio))
		info->flags |= SHMDEV_PAGE_LOCKED;
	if (folio_test_lru(folio))
		info->flags |= SHMDEV_PAGE_LRU;
	if (folio_test_unevictable(folio))
		info->flags |= SHMDEV_PAGE_UNEVICTABLE;
	if (folio_test_uptodate(folio))
		info->flags |= SHMDEV_PAGE_UPTODATE;
	info->refcount = folio_ref_count(folio) - 1;
	info->mapcount = shmdev_folio_mapcount(folio);
	info->order = folio_order(folio);
	if (show_pfn)
		info->pfn = folio_pfn(folio) + (index - folio->index);
	folio_put(folio);
}

/**
 * shmdev_regions_show() - print the table of debugfs shmdev/regions
 * @m: the seq_file being read
 *
 * One line per region: id, size and maximum in bytes, resident pages,
 * mappings, open files, sequence, and the fault, NOTIFY and WAIT counts.
 */
void shmdev_regions_show(struct seq_file *m)
{
	struct shmdev_region *region;

	seq_printf(m, "%6s %14s %14s %10s %8s %6s %10s %12s %10s %10s\n",
		   "id", "size", "max_size", "pages", "mappings", "files",
		   "seq", "faults", "notifies", "waits");
	mutex_lock(&shmdev_regions_lock);
	list_for_each_entry(region, &shmdev_regions, node)
		seq_printf(m, "%6u %14llu %14llu %10lu %8d %6d %10lld %12lld %10lld %10lld\n",
			   region->id, shmdev_region_size(region),
			   region->max_size,
			   READ_ONCE(region->inode->i_mapping->nrpages),
			   atomic_read(&region->nr_mappings),
			   atomic_read(&region->nr_files),
			   atomic64_read(&region->seq),
			   atomic64_read(&region->nr_faults),
			   atomic64_read(&region->nr_notifies),
			   atomic64_read(&region->nr_waits));
	mutex_unlock(&shmdev_regions_lock);
}

static struct shmdev_region *shmdev_vma_region(struct vm_area_struct *vma)
{
	return vma->vm_file->f_mapping->host->i_private;
}

/*
 * A page fault on a page the process has not mapped yet. Fault-around
 * (filemap_map_pages()) has already mapped what was in the page cache
 * nearby; this allocates the page if needed.
 */
static vm_fault_t shmdev_fault(struct vm_fault *vmf)
{
	struct shmdev_region *region = shmdev_vma_region(vmf->vma);
	struct address_space *mapping = region->inode->i_mapping;
	bool allocated = false;
	struct folio *folio;
	vm_fault_t ret;

	filemap_invalidate_lock_shared(mapping);
	folio = shmdev_region_folio(region, vmf->pgoff, &allocated);
	filemap_invalidate_unlock_shared(mapping);

	if (IS_ERR(folio)) {
		ret = PTR_ERR(folio) == -ERANGE ? VM_FAULT_SIGBUS :
						  vmf_error(PTR_ERR(folio));
	} else {
		/*
		 * Handed over locked, with a reference that the page table
		 * entry keeps; truncation cannot remove the folio meanwhile.
		 */
		vmf->page = folio_file_page(folio, vmf->pgoff);
		ret = VM_FAULT_LOCKED;
	}

	atomic64_inc(&region->nr_faults);
	shmdev_count(SHMDEV_STAT_FAULTS);
	if (ret & VM_FAULT_SIGBUS)
		shmdev_count(SHMDEV_STAT_SIGBUS);
	trace_shmdev_fault(region->id, vmf->pgoff, ret, allocated);
	return ret;
}

static void shmdev_vm_open(struct vm_area_struct *vma)
{
	atomic_inc(&shmdev_vma_region(vma)->nr_mappings);
}

static void shmdev_vm_close(struct vm_area_struct *vma)
{
	atomic_dec(&shmdev_vma_region(vma)->nr_mappings);
}

static const struct vm_operations_struct shmdev_vm_ops = {
	.open		= shmdev_vm_open,
	.close		= shmdev_vm_close,
	.fault		= shmdev_fault,
	.map_pages	= filemap_map_pages,
};

/**
 * shmdev_region_mmap() - set up a mapping of a region
 * @region: the region the mapped file is bound to
 * @vma: the new mapping; its file's f_mapping is the region's
 *
 * Only shared mappings are accepted. A mapping may extend beyond the
 * current size, up to the maximum; touching a page beyond the size raises
 * SIGBUS.
 *
 * Return: 0, or -EINVAL for a private mapping or one that extends beyond
 * the maximum size.
 */
int shmdev_region_mmap(struct shmdev_region *region, struct vm_area_struct *vma)
{
	u64 end;

	/* A read-only MAP_SHARED of an O_RDONLY file has VM_MAYSHARE only. */
	if (!(vma->vm_flags & (VM_SHARED | VM_MAYSHARE)))
		return -EINVAL;
	/* In pages; the maximum is a multiple of PAGE_SIZE. */
	if (check_add_overflow((u64)vma->vm_pgoff, (u64)vma_pages(vma), &end) ||
	    end > region->max_size >> PAGE_SHIFT)
		return -EINVAL;

	/* mremap() must not grow the mapping past what was checked here. */
	vm_flags_set(vma, VM_DONTEXPAND);
	vma->vm_ops = &shmdev_vm_ops;
	/* ->open is not called for the first VMA of a mapping. */
	shmdev_vm_open(vma);
	return 0;
}

/**
 * shmdev_region_read() - read() of a region
 * @region: the region
 * @iocb: position of the read; advanced by what was read
 * @to: destination
 *
 * Reads stop at the size. A page never touched reads as zeroes and is not
 * allocated.
 *
 * Return: bytes read, 0 at or beyond the size, or -EFAULT.
 */
ssize_t shmdev_region_read(struct shmdev_region *region, struct kiocb *iocb,
			   struct iov_iter *to)
{
	struct address_space *mapping = region->inode->i_mapping;
	loff_t pos = iocb->ki_pos;
	ssize_t done = 0;

	while (iov_iter_count(to)) {
		loff_t size = i_size_read(region->inode);
		size_t offset = offset_in_page(pos);
		size_t bytes, copied;
		struct folio *folio;

		if (pos >= size)
			break;
		bytes = min3((loff_t)(PAGE_SIZE - offset), size - pos,
			     (loff_t)iov_iter_count(to));

		folio = shmdev_get_folio(mapping, pos >> PAGE_SHIFT);
		if (folio) {
			copied = copy_page_to_iter(folio_file_page(folio, pos >> PAGE_SHIFT),
						   offset, bytes, to);
			folio_put(folio);
		} else {
			copied = iov_iter_zero(bytes, to);
		}
		pos += copied;
		done += copied;
		if (copied < bytes) {
			if (!done)
				return -EFAULT;
			break;
		}
	}
	iocb->ki_pos = pos;
	return done;
}

/**
 * shmdev_region_write() - write() of a region
 * @region: the region
 * @iocb: position of the write; advanced by what was written
 * @from: source
 *
 * Writes never grow the region: they stop at the size.
 *
 * Return: bytes written, -ENOSPC when the position is at or beyond the
 * size, -EFAULT, or -ENOMEM.
 */
ssize_t shmdev_region_write(struct shmdev_region *region, struct kiocb *iocb,
			    struct iov_iter *from)
{
	struct address_space *mapping = region->inode->i_mapping;
	loff_t pos = iocb->ki_pos;
	bool allocated;
	ssize_t done = 0;
	int err = 0;

	while (iov_iter_count(from)) {
		size_t offset = offset_in_page(pos);
		size_t bytes = min_t(size_t, PAGE_SIZE - offset, iov_iter_count(from));
		struct folio *folio;
		size_t copied;
		loff_t size;

		/*
		 * Fault the source in first: the copy below runs with the
		 * folio locked and page faults disabled, since the source
		 * may be a mapping of this very page.
		 */
		if (fault_in_iov_iter_readable(from, bytes) == bytes) {
			err = -EFAULT;
			break;
		}

		filemap_invalidate_lock_shared(mapping);
		size = i_size_read(region->inode);
		if (pos >= size) {
			filemap_invalidate_unlock_shared(mapping);
			err = -ENOSPC;
			break;
		}
		bytes = min_t(loff_t, bytes, size - pos);
		folio = shmdev_region_folio(region, pos >> PAGE_SHIFT, &allocated);
		if (IS_ERR(folio)) {
			filemap_invalidate_unlock_shared(mapping);
			err = PTR_ERR(folio);
			break;
		}
		copied = copy_page_from_iter_atomic(folio_file_page(folio, pos >> PAGE_SHIFT),
						    offset, bytes, from);
		flush_dcache_folio(folio);
		folio_unlock(folio);
		folio_put(folio);
		filemap_invalidate_unlock_shared(mapping);

		/* Nothing copied: the source was paged out again; retry. */
		pos += copied;
		done += copied;
		cond_resched();
	}
	iocb->ki_pos = pos;
	return done ? done : err;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * shmdev pages: the page cache of a region's inode, and resizing. The
 * fault handler and mmap, which map these pages, are in fault.c.
 */

#include <linux/fs.h>
#include <linux/lockdep.h>
#include <linux/math.h>
#include <linux/mm.h>
#include <linux/pagemap.h>

#include "compat.h"
#include "shmdev.h"
#include "shmdev_trace.h"

/*
 * Pages
 * =====
 *
 * A region's bytes live in the page cache of its private inode on the
 * module's pseudo file system (fs.c). Every file bound to the region has that inode's
 * address_space as its f_mapping, so every VMA mapping the region is
 * linked into the address_space's i_mmap tree, as a mapping of a regular
 * file is. From this follows, with no code of ours: unmap_mapping_range()
 * and rmap reach every mapping in every process (a shrink revokes pages);
 * a page's ->mapping and ->index identify it, which is what shared futex
 * keys are built from; /proc/PID/smaps, fault-around and truncation treat
 * the region as a file.
 *
 * A page is allocated zeroed on the first fault or write() that touches
 * it, charged to the memory cgroup of the task that touches it, added to
 * the page cache and marked dirty. The region has no backing store, so its
 * pages must never be dropped: the mapping is unevictable and every page
 * stays dirty (drop_caches, fadvise and invalidation skip dirty pages);
 * noop_dirty_folio() sets the flag without writeback accounting. Pages
 * are movable: compaction migrates them with filemap_migrate_folio().
 *
 * Huge pages are the job of huge.c: a miss first asks it for a PMD-size
 * folio, and a shrink that cuts one has it copy the kept part out.
 *
 * Locking
 * =======
 *
 * The size is the inode's i_size. It changes only in
 * shmdev_region_set_size(), under the mapping's invalidate_lock held
 * exclusive, which also serialises the writers as i_size_write() requires
 * and orders the change with the region's charge (account.c).
 *
 * Every path that adds a page to the page cache (a fault on a missing
 * page, write()) holds invalidate_lock shared and checks the index against
 * i_size under it, so no page is created beyond the size, nor while a
 * shrink is removing pages. A page already in the page cache is mapped
 * without invalidate_lock, by fault-around or by the fault handler's fast
 * path, as filemap_fault() does: each locks the folio, checks that it is
 * still in the mapping, then checks i_size; truncation locks each folio
 * before removing it and unmaps again after, so a page that a shrink
 * removes is never mapped again.
 *
 * Lock order: i_rwsem (ftruncate), mmap_lock, invalidate_lock,
 * shmdev_account_lock, the folio lock. No path copies from or to
 * userspace while holding invalidate_lock or a folio lock, except with
 * page faults disabled (write()).
 */

/*
 * The page cache has removed @folio (truncation, or the inode's eviction);
 * its memory is freed at its last folio_put(). Migration moves a page to a
 * new folio without calling this, so pages allocated minus pages freed is
 * the number of pages in all regions.
 */
static void shmdev_free_folio(struct folio *folio)
{
	this_cpu_add(shmdev_stats.count[SHMDEV_STAT_PAGES_FREED],
		     folio_nr_pages(folio));
	trace_shmdev_page_free(folio->index, folio_pfn(folio));
}

static const struct address_space_operations shmdev_aops = {
	.dirty_folio	= noop_dirty_folio,
	.migrate_folio	= filemap_migrate_folio,
	.free_folio	= shmdev_free_folio,
};

/**
 * shmdev_pages_init_mapping() - set up the page cache of a region's inode
 * @mapping: the inode's address_space
 *
 * Movable pages, never evicted (see "Pages" above), huge where the
 * kernel has transparent huge pages.
 */
void shmdev_pages_init_mapping(struct address_space *mapping)
{
	mapping->a_ops = &shmdev_aops;
	mapping_set_gfp_mask(mapping, GFP_HIGHUSER_MOVABLE);
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	/* Folios of any order up to PMD size; a plain write to the flags. */
	mapping_set_large_folios(mapping);
#endif
	mapping_set_unevictable(mapping);
}

/**
 * shmdev_find_folio() - the folio at @index of @mapping, its data in place
 * @mapping: a region's mapping
 * @index: page index
 *
 * A lookup that neither locks the folio nor holds invalidate_lock, for a
 * reader that copies the data out. Every folio shmdev adds is uptodate
 * before it enters the page cache, so one that is not is the new folio of
 * a migration (compaction) in flight: 6.1 puts it in the page cache before
 * it copies the data in, locked, and marks it uptodate and unlocks it after
 * the copy (6.12 copies first). Reading it then would read zeroes where
 * data is: wait for the folio lock, and look again.
 *
 * Context: may sleep.
 * Return: the folio with a reference, or NULL for a hole.
 */
struct folio *shmdev_find_folio(struct address_space *mapping, pgoff_t index)
{
	struct folio *folio;

	for (;;) {
		folio = shmdev_get_folio(mapping, index);
		if (!folio || folio_test_uptodate(folio))
			return folio;
		folio_lock(folio);
		folio_unlock(folio);
		folio_put(folio);
	}
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
static pgoff_t shmdev_pages_in(struct inode *inode)
{
	return DIV_ROUND_UP_ULL(i_size_read(inode), PAGE_SIZE);
}

/**
 * shmdev_region_folio() - the folio at an index, allocated if absent
 * @region: the region
 * @index: the page
 * @huge: a PMD-size folio may be allocated for the range around @index
 * @allocated: set when this call allocated the folio
 *
 * The folio may be a huge one that holds @index among others:
 * folio_file_page() gives the page.
 *
 * Return: the folio, locked and with a reference, or ERR_PTR(-ERANGE)
 * when @index is beyond the size, or another ERR_PTR().
 * Context: Process context; the caller holds invalidate_lock, shared or
 * exclusive.
 */
struct folio *shmdev_region_folio(struct shmdev_region *region,
				  pgoff_t index, bool huge, bool *allocated)
{
	struct address_space *mapping = region->inode->i_mapping;
	gfp_t gfp = mapping_gfp_mask(mapping);
	struct folio *folio;
	int err;

	lockdep_assert_held(&mapping->invalidate_lock);
	if (index >= shmdev_pages_in(region->inode))
		return ERR_PTR(-ERANGE);

	for (;;) {
		folio = shmdev_lock_folio(mapping, index);
		if (folio)
			return folio;

		folio = huge ? shmdev_huge_add(region, index) : NULL;
		if (folio)
			break;
		folio = shmdev_alloc_folio(gfp | __GFP_ZERO, 0);
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
	this_cpu_add(shmdev_stats.count[SHMDEV_STAT_PAGES_ALLOCATED],
		     folio_nr_pages(folio));
	if (folio_test_large(folio))
		shmdev_count(SHMDEV_STAT_HUGE_ALLOCATED);
	trace_shmdev_page_alloc(region->id, folio->index, folio_pfn(folio));
	return folio;
}

/*
 * As truncate_pagecache(), but only up to the region's maximum size: the
 * control page's mapping lies beyond it and must keep its page. Unmaps
 * the pages from @from on in every process, removes them (zeroing the
 * tail of a page cut by @from), and unmaps again what a racing fault
 * mapped before a page went.
 */
static void shmdev_truncate(struct shmdev_region *region, loff_t from)
{
	struct address_space *mapping = region->inode->i_mapping;
	loff_t hole = round_up(from, PAGE_SIZE), end = region->max_size;

	lockdep_assert_held_write(&mapping->invalidate_lock);
	if (hole < end)
		unmap_mapping_range(mapping, hole, end - hole, 1);
	truncate_inode_pages_range(mapping, from, end - 1);
	if (hole < end)
		unmap_mapping_range(mapping, hole, end - hole, 1);
}

/**
 * shmdev_region_set_size() - grow or shrink a region
 * @region: the region
 * @size: the new size in bytes
 *
 * The caller's user is charged for the new size (account.c). Growing
 * allocates nothing. Shrinking unmaps the pages wholly beyond @size from
 * every process, frees them, and zeroes the tail of a partial last page.
 *
 * Return: 0; -EFBIG when @size is above the region's maximum; -ENOSPC or
 * -ENOMEM when the charge is refused; -ENOMEM when the copies of a huge
 * folio's kept pages cannot be allocated; -EBUSY when that folio is
 * pinned for DMA. Nothing changed on error.
 * Context: Process context; may sleep. Takes invalidate_lock.
 */
int shmdev_region_set_size(struct shmdev_region *region, u64 size)
{
	struct inode *inode = region->inode;
	struct address_space *mapping = inode->i_mapping;
	struct shmdev_cut cut;
	unsigned long nrpages;
	u64 old;
	int err;

	if (size > region->max_size)
		return -EFBIG;

	filemap_invalidate_lock(mapping);
	old = i_size_read(inode);
	memset(&cut, 0, sizeof(cut));
	err = 0;
	if (size < old) {
		/* The folio holding the first byte that the shrink removes. */
		struct folio *folio = shmdev_find_folio(mapping, size >> PAGE_SHIFT);

		err = shmdev_huge_cut_prepare(region, folio, size, &cut);
	}
	if (!err)
		err = shmdev_charge_resize(region, size);
	if (err) {
		shmdev_huge_cut_free(&cut);
		filemap_invalidate_unlock(mapping);
		return err;
	}
	/* No page is added while invalidate_lock is held exclusive. */
	nrpages = READ_ONCE(mapping->nrpages);
	i_size_write(inode, size);
	/*
	 * Unmaps, then removes, the pages beyond the new size; locks each
	 * folio, so it waits for faults that are mapping one of them.
	 */
	if (cut.huge) {
		/*
		 * From the cut folio's first byte: removed whole, never
		 * split; then the copies of its kept pages go in.
		 */
		shmdev_truncate(region, folio_pos(cut.huge));
		shmdev_huge_cut_fill(region, size, &cut);
	} else if (size < old) {
		shmdev_truncate(region, size);
	}
	trace_shmdev_resize(region->id, old, size,
			    nrpages - READ_ONCE(mapping->nrpages));
	filemap_invalidate_unlock(mapping);
	shmdev_count(SHMDEV_STAT_RESIZES);
	return 0;
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
	return shmdev_pages_in(region->inode);
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
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	if (shmdev_folio_pmd_mapped(folio))
		info->flags |= SHMDEV_PAGE_PMD_MAPPED;
#endif
	info->refcount = folio_ref_count(folio) - 1;
	info->mapcount = shmdev_folio_mapcount(folio);
	info->order = folio_order(folio);
	if (show_pfn)
		info->pfn = folio_pfn(folio) + (index - folio->index);
	folio_put(folio);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * shmdev huge pages: PMD-size folios in a region's page cache, and the
 * shrink that cuts one.
 *
 * Huge pages
 * ==========
 *
 * Where the kernel has transparent huge pages, a fault (or write()) on a
 * missing page first tries a PMD-size folio (2 MiB on x86-64) for the
 * aligned range around it, when that whole range lies below the size, the
 * module parameter huge_pages is on and the region was not created with
 * SHMDEV_OPEN_NOHUGE; a fault also needs the VMA to map the range at a
 * 2 MiB-aligned address (the module places mappings so:
 * thp_get_unmapped_area() in file.c) and no MADV_NOHUGEPAGE. The
 * allocation neither reclaims nor compacts, and whatever fails (no free
 * huge page, a small page already in the range, the memcg charge) falls
 * back to a small page, without error. The core fault code then maps the
 * folio with one PMD entry, or with PTEs where the PMD is already a page
 * table. khugepaged never collapses these mappings: huge folios exist
 * only where the first touch made them.
 *
 * No huge folio ever extends beyond the page that holds the last byte
 * of the region. The kernel would split one on a shrink that cuts it
 * (even one that cuts only into its last page), and splitting a dirty
 * page-cache folio whose tail is dropped does writeback accounting
 * through the inode's writeback context, which this inode has none of (it
 * has no backing store): with CONFIG_CGROUP_WRITEBACK that is a NULL
 * pointer. So a shrink that cuts a huge folio has its kept pages copied
 * into small folios allocated beforehand (shmdev_huge_cut_prepare()),
 * truncates from the huge folio's first byte, which removes it whole, and
 * adds the copies in its place (shmdev_huge_cut_fill()).
 *
 * Everything here runs under the mapping's invalidate_lock (pages.c,
 * "Locking"): shared to add a folio, exclusive to cut one.
 */

#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/lockdep.h>
#include <linux/math.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "compat.h"
#include "shmdev.h"

#ifdef CONFIG_TRANSPARENT_HUGEPAGE
/**
 * shmdev_huge_add() - a huge folio for a page that is missing
 * @region: the region
 * @index: the page
 *
 * Return: a PMD-size folio for the aligned range holding @index, added to
 * the page cache, locked and with a reference; NULL when the range does
 * not lie whole below the size, huge pages are off for the region, or one
 * cannot be had now (the caller then uses a small page).
 * Context: invalidate_lock held, shared or exclusive.
 */
struct folio *shmdev_huge_add(struct shmdev_region *region, pgoff_t index)
{
	struct address_space *mapping = region->inode->i_mapping;
	pgoff_t hindex = round_down(index, HPAGE_PMD_NR);
	struct folio *folio;

	lockdep_assert_held(&mapping->invalidate_lock);
	if (!READ_ONCE(shmdev_huge_pages) || (region->flags & SHMDEV_INFO_NOHUGE) ||
	    hindex + HPAGE_PMD_NR >
	    DIV_ROUND_UP_ULL(i_size_read(region->inode), PAGE_SIZE))
		return NULL;

	/* Neither reclaim nor compaction: a small page is always fine. */
	folio = shmdev_alloc_folio(GFP_TRANSHUGE_LIGHT | __GFP_ZERO,
				   HPAGE_PMD_ORDER);
	if (folio) {
		__folio_mark_uptodate(folio);
		/* -EEXIST when a small page is already in the range. */
		if (!filemap_add_folio(mapping, folio, hindex, GFP_TRANSHUGE_LIGHT))
			return folio;
		folio_put(folio);
	}
	shmdev_count(SHMDEV_STAT_HUGE_FALLBACKS);
	return NULL;
}
#else
struct folio *shmdev_huge_add(struct shmdev_region *region, pgoff_t index)
{
	return NULL;
}
#endif

/**
 * shmdev_huge_cut_free() - drop what a cut still holds
 * @cut: filled by shmdev_huge_cut_prepare(), or all zero
 *
 * Puts the copies not added and the huge folio, and zeroes @cut.
 */
void shmdev_huge_cut_free(struct shmdev_cut *cut)
{
	unsigned int i;

	for (i = 0; cut->pages && i < cut->nr; i++)
		if (cut->pages[i])
			folio_put(cut->pages[i]);
	kfree(cut->pages);
	if (cut->huge)
		folio_put(cut->huge);
	/* A second call, as on the shrink's error path, then does nothing. */
	memset(cut, 0, sizeof(*cut));
}

/**
 * shmdev_huge_cut_prepare() - get ready for a shrink that cuts a huge folio
 * @region: the region
 * @folio: the folio holding the first byte that a shrink to @size
 *	removes, with a reference that this call takes over; NULL for a hole
 * @size: the new, smaller size
 * @cut: zeroed by the caller; filled when a huge folio is cut
 *
 * When @folio is a huge folio that starts below @size, allocates the
 * small folios its kept pages go to. Nothing is changed. The caller looked
 * @folio up under the same exclusive hold of invalidate_lock, so it is
 * still the page cache's folio at that index.
 *
 * Return: 0 (@cut->huge NULL when no folio is cut), -EBUSY when that
 * folio is pinned for DMA, or -ENOMEM.
 * Context: invalidate_lock held exclusive.
 */
int shmdev_huge_cut_prepare(struct shmdev_region *region, struct folio *folio,
			    u64 size, struct shmdev_cut *cut)
{
	struct address_space *mapping = region->inode->i_mapping;
	pgoff_t keep = DIV_ROUND_UP_ULL(size, PAGE_SIZE);
	gfp_t gfp = mapping_gfp_mask(mapping);
	unsigned int i;

	lockdep_assert_held_write(&mapping->invalidate_lock);
	if (!folio)
		return 0;
	VM_WARN_ON_ONCE_FOLIO(!folio_contains(folio, size >> PAGE_SHIFT), folio);
	if (!folio_test_large(folio) || folio_pos(folio) >= size) {
		folio_put(folio);
		return 0;
	}
	/*
	 * Pages pinned for DMA (O_DIRECT, io_uring fixed buffers, RDMA)
	 * would keep using the huge folio after its data moved to the
	 * copies: refuse, changing nothing, as long as the pin lasts.
	 */
	if (folio_maybe_dma_pinned(folio)) {
		folio_put(folio);
		return -EBUSY;
	}
	cut->huge = folio;
	cut->nr = keep - folio->index;
	cut->pages = kcalloc(cut->nr, sizeof(*cut->pages), GFP_KERNEL);
	if (!cut->pages)
		goto nomem;
	for (i = 0; i < cut->nr; i++) {
		cut->pages[i] = shmdev_alloc_folio(gfp, 0);
		if (!cut->pages[i])
			goto nomem;
	}
	return 0;

nomem:
	shmdev_huge_cut_free(cut);
	return -ENOMEM;
}

/**
 * shmdev_huge_cut_fill() - put the kept part of a cut huge folio back
 * @region: the region
 * @size: the new size
 * @cut: from shmdev_huge_cut_prepare(); emptied
 *
 * The caller has truncated the page cache from the huge folio's first
 * byte, which removed it whole (the kernel never split it), unmapped it
 * from every process and let no fault map it again: its data is final.
 * Copies the kept pages, zeroes the tail of the last one beyond @size,
 * and adds the copies. Faults in the range meanwhile find no page and
 * wait for invalidate_lock, and read() confirms a miss under it (io.c).
 *
 * Context: invalidate_lock held exclusive.
 */
void shmdev_huge_cut_fill(struct shmdev_region *region, u64 size,
			  struct shmdev_cut *cut)
{
	struct address_space *mapping = region->inode->i_mapping;
	pgoff_t start = cut->huge->index;
	size_t tail = offset_in_page(size);
	unsigned int i, noreclaim;
	int err;

	lockdep_assert_held_write(&mapping->invalidate_lock);
	/*
	 * The copies' memcg charge is forced below; PF_MEMALLOC makes the
	 * charge skip reclaim and the OOM killer, which would otherwise run
	 * with every fault of the region waiting on invalidate_lock.
	 */
	noreclaim = memalloc_noreclaim_save();
	for (i = 0; i < cut->nr; i++) {
		struct folio *folio = cut->pages[i];

		copy_highpage(folio_page(folio, 0), folio_page(cut->huge, i));
		if (i == cut->nr - 1 && tail)
			folio_zero_range(folio, tail, PAGE_SIZE - tail);
		__folio_mark_uptodate(folio);
		/*
		 * Nothing else can add a page here (invalidate_lock), and the
		 * memcg is charged even above its limit: the huge folio gives
		 * back more than this once its last reference goes.
		 */
		err = filemap_add_folio(mapping, folio, start + i,
					mapping_gfp_mask(mapping) | __GFP_NOFAIL);
		if (WARN_ON_ONCE(err))
			continue;
		cut->pages[i] = NULL;
		folio_mark_dirty(folio);
		folio_unlock(folio);
		folio_put(folio);
		shmdev_count(SHMDEV_STAT_PAGES_ALLOCATED);
	}
	memalloc_noreclaim_restore(noreclaim);
	shmdev_count(SHMDEV_STAT_HUGE_COPIED);
	shmdev_huge_cut_free(cut);
}

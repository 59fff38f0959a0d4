/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences in the kernel API between the kernels shmdev supports
 * (Debian's 6.1 and 6.12 lines). Every version test of the module is here.
 */

#ifndef SHMDEV_COMPAT_H
#define SHMDEV_COMPAT_H

#include <linux/err.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/version.h>

#if KERNEL_VERSION(6, 3, 0) > LINUX_VERSION_CODE
/* 6.3 made vm_flags read-only behind accessors. */
static inline void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}
#endif

/*
 * shmdev_lock_folio() - find and lock the folio at @index of @mapping.
 *
 * Returns the folio with a reference, or NULL when there is none. Since 6.3
 * filemap_lock_folio() returns ERR_PTR(-ENOENT) instead of NULL.
 */
static inline struct folio *shmdev_lock_folio(struct address_space *mapping,
					      pgoff_t index)
{
	struct folio *folio = filemap_lock_folio(mapping, index);

	return IS_ERR(folio) ? NULL : folio;
}

/* As shmdev_lock_folio(), without locking the folio. */
static inline struct folio *shmdev_get_folio(struct address_space *mapping,
					     pgoff_t index)
{
	struct folio *folio = filemap_get_folio(mapping, index);

	return IS_ERR(folio) ? NULL : folio;
}

/*
 * shmdev_folio_mapcount() - page table entries that map @folio.
 *
 * 6.1 does not export folio_mapcount(); there the mapcount of an order-0
 * folio, all the module allocates, is its page's.
 */
static inline int shmdev_folio_mapcount(struct folio *folio)
{
#if KERNEL_VERSION(6, 9, 0) > LINUX_VERSION_CODE
	return page_mapcount(&folio->page);
#else
	return folio_mapcount(folio);
#endif
}

#endif /* SHMDEV_COMPAT_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences in the kernel API between the kernels shmdev supports
 * (Debian's 6.1 and 6.12 lines, and the newest of Debian's development
 * distribution, 7.2 at the time of writing). Every version test of the
 * module is here.
 */

#ifndef SHMDEV_COMPAT_H
#define SHMDEV_COMPAT_H

#include <linux/cred.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/ipc_namespace.h>
#include <linux/mm.h>
#include <linux/uio.h>
#include <linux/pagemap.h>
#include <linux/proc_ns.h>
#include <linux/refcount.h>
#include <linux/user_namespace.h>
#include <linux/version.h>

#if KERNEL_VERSION(6, 3, 0) > LINUX_VERSION_CODE
/* 6.3 made vm_flags read-only behind accessors. */
static inline void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}

static inline void vm_flags_clear(struct vm_area_struct *vma,
				  vm_flags_t flags)
{
	vma->vm_flags &= ~flags;
}
#endif

/*
 * 6.3 passes inode operations the mount's idmapping (struct mnt_idmap)
 * where 6.1 passed its user namespace; shmdev's mount is never idmapped.
 */
#if KERNEL_VERSION(6, 3, 0) > LINUX_VERSION_CODE
#define shmdev_idmap_t		struct user_namespace
#define shmdev_nop_idmap	(&init_user_ns)

static inline void shmdev_generic_fillattr(shmdev_idmap_t *idmap,
					   u32 request_mask,
					   struct inode *inode,
					   struct kstat *stat)
{
	generic_fillattr(idmap, inode, stat);
}
#else
#define shmdev_idmap_t		struct mnt_idmap
#define shmdev_nop_idmap	(&nop_mnt_idmap)
#define shmdev_generic_fillattr	generic_fillattr
#endif

/*
 * Holding an IPC namespace: the name table keys names by namespace and
 * holds a reference to each namespace it has names in. Kbuild defines
 * SHMDEV_HAVE_PUT_IPC_NS when the kernel exports put_ipc_ns() (Debian's
 * 6.12, not 6.1); without it a module cannot drop a reference, so names
 * exist in the initial namespace only, which lives forever.
 */
#ifdef SHMDEV_HAVE_PUT_IPC_NS
static inline bool shmdev_ipcns_supported(struct ipc_namespace *ns)
{
	return true;
}

static inline void shmdev_ipcns_get(struct ipc_namespace *ns)
{
	get_ipc_ns(ns);
}

static inline void shmdev_ipcns_put(struct ipc_namespace *ns)
{
	put_ipc_ns(ns);
}

/*
 * True when the only reference left to @ns is the one the caller holds:
 * no task, no nsfs file and no bind mount can reach it any more, so no
 * new one can be taken.
 */
static inline bool shmdev_ipcns_orphaned(struct ipc_namespace *ns)
{
	/*
	 * The initial namespace never dies (and newer kernels count no
	 * references to it: its count reads 1 whoever holds it).
	 */
	if (ns->ns.inum == PROC_IPC_INIT_INO)
		return false;
#ifdef ns_ref_read
	/* Newer kernels (7.2) renamed the count, behind ns_ref_read(). */
	return ns_ref_read(ns) == 1;
#else
	return refcount_read(&ns->ns.count) == 1;
#endif
}
#else
static inline bool shmdev_ipcns_supported(struct ipc_namespace *ns)
{
	return ns->ns.inum == PROC_IPC_INIT_INO;
}

static inline void shmdev_ipcns_get(struct ipc_namespace *ns)
{
}

static inline void shmdev_ipcns_put(struct ipc_namespace *ns)
{
}

static inline bool shmdev_ipcns_orphaned(struct ipc_namespace *ns)
{
	return false;
}
#endif

/*
 * shmdev_alloc_folio() - a folio of 2^@order pages for the page cache.
 *
 * 6.19 gave filemap_alloc_folio() a NUMA memory policy argument; shmdev
 * has none of its own (NULL: the task's policy, as before).
 */
static inline struct folio *shmdev_alloc_folio(gfp_t gfp, unsigned int order)
{
#if KERNEL_VERSION(6, 19, 0) > LINUX_VERSION_CODE
	return filemap_alloc_folio(gfp, order);
#else
	return filemap_alloc_folio(gfp, order, NULL);
#endif
}

/*
 * shmdev_copy_from_iter_atomic() - copy @bytes from @from into @folio at
 * file position @pos, with page faults disabled; the bytes must not cross a
 * page boundary. Returns the bytes copied.
 *
 * 6.1 has only the per-page copy_page_from_iter_atomic(); 6.12 has both;
 * newer kernels (7.2) have only copy_folio_from_iter_atomic().
 */
static inline size_t shmdev_copy_from_iter_atomic(struct folio *folio,
						  loff_t pos, size_t bytes,
						  struct iov_iter *from)
{
#if KERNEL_VERSION(6, 12, 0) > LINUX_VERSION_CODE
	return copy_page_from_iter_atomic(folio_file_page(folio, pos >> PAGE_SHIFT),
					  offset_in_page(pos), bytes, from);
#else
	return copy_folio_from_iter_atomic(folio, offset_in_folio(folio, pos),
					   bytes, from);
#endif
}

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
 * shmdev_folio_mapcount() - page table entries that map any page of @folio,
 * a PMD mapping of a huge folio counting once.
 *
 * 6.1 does not export folio_mapcount(); there it is the sum of each
 * page's mapcount, which includes the folio's PMD mappings, less the PMD
 * mappings counted more than once.
 */
static inline int shmdev_folio_mapcount(struct folio *folio)
{
#if KERNEL_VERSION(6, 9, 0) > LINUX_VERSION_CODE
	long i, n;
	int sum;

	if (!folio_test_large(folio))
		return page_mapcount(&folio->page);
	/* Each page's count includes the PMD mappings: count those once. */
	n = folio_nr_pages(folio);
	sum = -(n - 1) * folio_entire_mapcount(folio);
	for (i = 0; i < n; i++)
		sum += page_mapcount(folio_page(folio, i));
	return sum;
#else
	return folio_mapcount(folio);
#endif
}

#ifdef CONFIG_TRANSPARENT_HUGEPAGE
/*
 * shmdev_vma_huge_ok() - may a fault at @addr of @vma map a PMD-size folio?
 *
 * The PMD-aligned 2 MiB around @addr must lie inside @vma at a file offset
 * that is a multiple of 2 MiB, and neither madvise(MADV_NOHUGEPAGE) nor
 * prctl(PR_SET_THP_DISABLE) may forbid it. This gates the allocation
 * only: 6.12's finish_fault() and fault-around also check the last two
 * before they map a huge folio that exists with a PMD; 6.1's do not, so
 * there a VMA with MADV_NOHUGEPAGE may still map another process's huge
 * folio with one PMD.
 */
static inline bool shmdev_vma_huge_ok(struct vm_area_struct *vma,
				      unsigned long addr)
{
	if (vma->vm_flags & VM_NOHUGEPAGE)
		return false;
#ifdef MMF_DISABLE_THP_COMPLETELY
	/*
	 * Newer kernels (7.2) split PR_SET_THP_DISABLE in two: everywhere,
	 * or everywhere but in VMAs given MADV_HUGEPAGE; and mm->flags became
	 * a bitmap behind mm_flags_test().
	 */
	if (mm_flags_test(MMF_DISABLE_THP_COMPLETELY, vma->vm_mm) ||
	    (!(vma->vm_flags & VM_HUGEPAGE) &&
	     mm_flags_test(MMF_DISABLE_THP_EXCEPT_ADVISED, vma->vm_mm)))
		return false;
#else
	if (test_bit(MMF_DISABLE_THP, &vma->vm_mm->flags))
		return false;
#endif
#if KERNEL_VERSION(6, 8, 0) > LINUX_VERSION_CODE
	return transhuge_vma_suitable(vma, addr);
#else
	return thp_vma_suitable_order(vma, addr, HPAGE_PMD_ORDER);
#endif
}

/* Is @folio mapped by a PMD anywhere? */
static inline bool shmdev_folio_pmd_mapped(struct folio *folio)
{
	return folio_test_large(folio) && folio_entire_mapcount(folio) > 0;
}
#endif

#endif /* SHMDEV_COMPAT_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * shmdev fault: mmap of a region's file, and the page fault handler that
 * maps the region's pages (pages.c) into a process.
 *
 * mmap() only checks the request and installs shmdev_vm_ops; pages are
 * mapped one fault at a time. Fault-around (filemap_map_pages()) maps the
 * resident pages near the address without calling us; shmdev_fault()
 * then finds the faulting page without a region-wide lock when it is
 * resident, or allocates it under invalidate_lock held shared. The steps,
 * from the trap to the page table entry, are told in
 * Documentation/mm/shmdev-internals.rst, "The fault path".
 *
 * Why this is safe against a shrink, and the lock order, are in pages.c
 * under "Locking".
 */

#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/pagemap.h>

#include "compat.h"
#include "shmdev.h"
#include "shmdev_trace.h"

static struct shmdev_region *shmdev_vma_region(struct vm_area_struct *vma)
{
	return vma->vm_file->f_mapping->host->i_private;
}

/*
 * The fast path of a fault: the page is in the page cache. As
 * filemap_fault(), it takes no region-wide lock: the folio lock holds off
 * truncation, which re-checks the mapping and the size below.
 */
static struct folio *shmdev_fault_resident(struct shmdev_region *region,
					   pgoff_t index)
{
	struct address_space *mapping = region->inode->i_mapping;
	struct folio *folio = shmdev_lock_folio(mapping, index);

	if (!folio)
		return NULL;
	if (unlikely(folio->mapping != mapping)) {
		/* Truncated after the lookup: take the slow path. */
		folio_unlock(folio);
		folio_put(folio);
		return NULL;
	}
	if (unlikely(index >= shmdev_region_page_count(region))) {
		/*
		 * Beyond the size, or a shrink is under way: the slow path
		 * waits for it and answers with the final size.
		 */
		folio_unlock(folio);
		folio_put(folio);
		return NULL;
	}
	return folio;
}

/* May this fault allocate a PMD-size folio? See huge.c. */
static bool shmdev_fault_huge_ok(struct vm_fault *vmf)
{
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	return shmdev_vma_huge_ok(vmf->vma, vmf->address);
#else
	return false;
#endif
}

/*
 * A page fault on a page the process has not mapped yet. Fault-around
 * (filemap_map_pages()) has already mapped what was in the page cache
 * nearby. A resident page is found without locks (above); a missing one
 * is allocated under invalidate_lock.
 */
static vm_fault_t shmdev_fault(struct vm_fault *vmf)
{
	struct shmdev_region *region = shmdev_vma_region(vmf->vma);
	struct address_space *mapping = region->inode->i_mapping;
	bool allocated = false;
	struct folio *folio;
	vm_fault_t ret = 0;

	this_cpu_inc(*region->nr_faults);
	shmdev_count(SHMDEV_STAT_FAULTS);

	folio = shmdev_fault_resident(region, vmf->pgoff);
	if (!folio) {
		filemap_invalidate_lock_shared(mapping);
		folio = shmdev_region_folio(region, vmf->pgoff,
					    shmdev_fault_huge_ok(vmf), &allocated);
		filemap_invalidate_unlock_shared(mapping);
		if (IS_ERR(folio)) {
			ret = PTR_ERR(folio) == -ERANGE ? VM_FAULT_SIGBUS :
							  vmf_error(PTR_ERR(folio));
			folio = NULL;
		}
	}
	if (folio) {
		/*
		 * Handed over locked, with a reference that the page table
		 * entry keeps; truncation cannot remove the folio meanwhile.
		 * For a page of a huge folio, finish_fault() maps the whole
		 * folio with one PMD entry when the VMA allows and no page
		 * table is there yet.
		 */
		vmf->page = folio_file_page(folio, vmf->pgoff);
		ret = VM_FAULT_LOCKED;
	}

	if (ret & VM_FAULT_SIGBUS)
		shmdev_count(SHMDEV_STAT_SIGBUS);
	trace_shmdev_fault(region->id, vmf->pgoff, ret, allocated);
	return ret;
}

static const struct vm_operations_struct shmdev_vm_ops = {
	.fault		= shmdev_fault,
	.map_pages	= filemap_map_pages,
};

/**
 * shmdev_region_mmap() - set up a mapping of a region
 * @region: the region the mapped file is bound to
 * @vma: the new mapping; its file's f_mapping is the region's
 *
 * Only shared, non-executable mappings are accepted. A mapping may extend
 * beyond the current size, up to the maximum; touching a page beyond the
 * size raises SIGBUS.
 *
 * Return: 0; -EINVAL for a private mapping or one that extends beyond the
 * maximum size; -EPERM for an executable one.
 */
int shmdev_region_mmap(struct shmdev_region *region, struct vm_area_struct *vma)
{
	u64 end;

	/* A read-only MAP_SHARED of an O_RDONLY file has VM_MAYSHARE only. */
	if (!(vma->vm_flags & (VM_SHARED | VM_MAYSHARE)))
		return -EINVAL;
	/* Data, never code: as a mapping of a noexec mount. */
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;
	/* In pages; the maximum is a multiple of PAGE_SIZE. */
	if (check_add_overflow((u64)vma->vm_pgoff, (u64)vma_pages(vma), &end) ||
	    end > region->max_size >> PAGE_SHIFT)
		return -EINVAL;

	/* mremap() must not grow the mapping past what was checked here. */
	vm_flags_set(vma, VM_DONTEXPAND);
	/* mprotect() must not make it executable. */
	vm_flags_clear(vma, VM_MAYEXEC);
	vma->vm_ops = &shmdev_vm_ops;
	return 0;
}

/**
 * shmdev_region_nr_mappings() - VMAs that map a region, in all processes
 * @region: the region
 *
 * Counted in the mapping's i_mmap tree, where the VFS links every VMA of
 * the region's files (those of the control page do not count), rather
 * than by ->open and ->close: a VMA that is merged into its neighbour
 * right after ->mmap (its flags changed there) is freed without ->close.
 *
 * Return: the number, a snapshot.
 * Context: Process context; takes i_mmap_rwsem.
 */
unsigned int shmdev_region_nr_mappings(struct shmdev_region *region)
{
	struct address_space *mapping = region->inode->i_mapping;
	struct rb_node *node;
	unsigned int n = 0;

	i_mmap_lock_read(mapping);
	for (node = rb_first_cached(&mapping->i_mmap); node; node = rb_next(node)) {
		struct vm_area_struct *vma = rb_entry(node, struct vm_area_struct,
						      shared.rb);

		/* Not the control page's (notify.c). */
		n += vma->vm_ops == &shmdev_vm_ops;
	}
	i_mmap_unlock_read(mapping);
	return n;
}

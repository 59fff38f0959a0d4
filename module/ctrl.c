// SPDX-License-Identifier: GPL-2.0
/*
 * shmdev control page: one zeroed page per region that holds the region's
 * notification sequence and the waiting word (struct shmdev_ctrl), and
 * its mappings at file offset SHMDEV_CTRL_OFFSET.
 *
 * Lifetime: the page is allocated with the region and the region holds
 * one reference to it from creation to release. Each page table entry
 * that maps it holds another, taken by the fault handler and dropped when
 * the entry is zapped (munmap, MADV_DONTNEED, exit); a GUP pin holds one
 * too. So the page outlives the region while anything still refers to it,
 * and the last put_page() frees it. A mapping holds its file, and the
 * file the region, so a mapped control page always has its region.
 *
 * Mapping: the page is not in the region's page cache. The fault handler
 * hands it to the core with a reference and the core maps it with one
 * page table entry, as a file page without a mapping: fork() copies the
 * entry (the VMA is shared), MADV_DONTNEED zaps it and the next access
 * faults it back in. The VMA sits in the region's i_mmap tree with the
 * data mappings; a shrink unmaps only offsets below the region's maximum
 * size, and SHMDEV_CTRL_OFFSET is above every maximum size, so no shrink
 * reaches it.
 *
 * Trust: whoever maps the page writable (a file opened for writing, the
 * trust domain of the region's data) may store anything in it at any
 * time; notify.c reads it with that in mind.
 */

#include <linux/build_bug.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/stddef.h>

#include "compat.h"
#include "shmdev.h"

/**
 * shmdev_ctrl_init() - allocate a new region's control page
 * @region: the region being created
 *
 * The page is zeroed: sequence 0, nobody waiting. It is charged to the
 * caller's memory cgroup, as the region's data pages are.
 *
 * Return: 0 or -ENOMEM.
 * Context: Process context; may sleep.
 */
int shmdev_ctrl_init(struct shmdev_region *region)
{
	/* notify.c reads and increments ctrl->seq as an atomic64_t. */
	BUILD_BUG_ON(offsetof(struct shmdev_ctrl, seq) != 0);
	BUILD_BUG_ON(sizeof_field(struct shmdev_ctrl, seq) != sizeof(atomic64_t));
	BUILD_BUG_ON(sizeof(struct shmdev_ctrl) > PAGE_SIZE);
	/* The control offset is a whole number of pages. */
	BUILD_BUG_ON(SHMDEV_CTRL_OFFSET & ~PAGE_MASK);

	region->ctrl_page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!region->ctrl_page)
		return -ENOMEM;
	region->ctrl = page_address(region->ctrl_page);
	return 0;
}

/**
 * shmdev_ctrl_free() - drop the region's reference to its control page
 * @region: the region being released
 *
 * The page itself goes with its last reference (see the top of this file).
 * Context: Any context.
 */
void shmdev_ctrl_free(struct shmdev_region *region)
{
	if (region->ctrl_page)
		put_page(region->ctrl_page);
	region->ctrl_page = NULL;
	region->ctrl = NULL;
}

/*
 * The only page of a control mapping. Returned with a reference, unlocked;
 * the core locks it, maps it and keeps the reference in the page table.
 */
static vm_fault_t shmdev_ctrl_fault(struct vm_fault *vmf)
{
	struct shmdev_region *region = vmf->vma->vm_private_data;

	/* The VMA is one page at this offset and cannot grow or move there. */
	if (WARN_ON_ONCE(vmf->pgoff != SHMDEV_CTRL_PGOFF))
		return VM_FAULT_SIGBUS;
	get_page(region->ctrl_page);
	vmf->page = region->ctrl_page;
	return 0;
}

static const struct vm_operations_struct shmdev_ctrl_vm_ops = {
	.fault		= shmdev_ctrl_fault,
};

/**
 * shmdev_ctrl_mmap() - set up a mapping of a region's control page
 * @region: the region the mapped file is bound to
 * @vma: the new mapping, at an offset of SHMDEV_CTRL_OFFSET or more
 *
 * Only a shared mapping of exactly one page at SHMDEV_CTRL_OFFSET is
 * accepted, never an executable one. The VFS already refuses a writable
 * shared mapping of a file not opened for writing, and clears VM_MAYWRITE
 * on its read-only ones, so such a file maps the page read-only for good.
 *
 * Return: 0; -EINVAL for another offset or length, or a private mapping;
 * -EPERM for an executable one.
 */
int shmdev_ctrl_mmap(struct shmdev_region *region, struct vm_area_struct *vma)
{
	if (vma->vm_pgoff != SHMDEV_CTRL_PGOFF || vma_pages(vma) != 1)
		return -EINVAL;
	/* A private copy would not see the sequence move. */
	if (!(vma->vm_flags & (VM_SHARED | VM_MAYSHARE)))
		return -EINVAL;
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;

	/* mremap() must not grow it; mprotect() must not make it executable. */
	vm_flags_set(vma, VM_DONTEXPAND);
	vm_flags_clear(vma, VM_MAYEXEC);
	vma->vm_private_data = region;
	vma->vm_ops = &shmdev_ctrl_vm_ops;
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * shmdev data access without mmap: read(), write() and lseek() of a
 * region's bytes, so that hexdump and dd work on it.
 */

#include <linux/fs.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/uio.h>

#include "compat.h"
#include "shmdev.h"

/*
 * Both loops go a page at a time, reschedule between pages, and stop at
 * a fatal signal, so that a read or write of the largest region neither
 * hogs a CPU nor delays the death of a killed process. read() holds a
 * reference to each page while it copies; what it returns may race with
 * a shrink, as for a regular file, but never shows zeroes for bytes a
 * shrink keeps. write() allocates pages as a fault
 * does (pages.c, "Locking").
 */

/**
 * shmdev_region_read() - read() of a region
 * @region: the region
 * @iocb: position of the read; advanced by what was read
 * @to: destination
 *
 * Reads stop at the size. A page never touched reads as zeroes and is not
 * allocated.
 *
 * Return: bytes read; 0 at or beyond the size; -EFAULT, or -EINTR for a
 * fatal signal, when nothing was read.
 */
ssize_t shmdev_region_read(struct shmdev_region *region, struct kiocb *iocb,
			   struct iov_iter *to)
{
	struct address_space *mapping = region->inode->i_mapping;
	loff_t pos = iocb->ki_pos;
	ssize_t done = 0;
	int err = 0;

	while (iov_iter_count(to)) {
		loff_t size = i_size_read(region->inode);
		size_t offset = offset_in_page(pos);
		size_t bytes, copied;
		struct folio *folio;

		if (pos >= size)
			break;
		if (fatal_signal_pending(current)) {
			err = -EINTR;
			break;
		}
		bytes = min3((loff_t)(PAGE_SIZE - offset), size - pos,
			     (loff_t)iov_iter_count(to));

		folio = shmdev_find_folio(mapping, pos >> PAGE_SHIFT);
		if (!folio) {
			/*
			 * A shrink that cuts a huge folio removes the pages it
			 * keeps too, and adds their copies back, all with
			 * invalidate_lock held exclusive (pages.c): a miss is
			 * a hole only once confirmed under the lock. The copy
			 * to userspace, which may fault on this region, comes
			 * after the lock is dropped.
			 */
			filemap_invalidate_lock_shared(mapping);
			if (pos < i_size_read(region->inode))
				folio = shmdev_find_folio(mapping, pos >> PAGE_SHIFT);
			filemap_invalidate_unlock_shared(mapping);
		}
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
			err = -EFAULT;
			break;
		}
		cond_resched();
	}
	iocb->ki_pos = pos;
	return done ? done : err;
}

/**
 * shmdev_region_write() - write() of a region
 * @region: the region
 * @iocb: position of the write; advanced by what was written
 * @from: source
 *
 * Writes never grow the region: they stop at the size.
 *
 * Return: bytes written; when nothing was: -ENOSPC when the position is
 * at or beyond the size, -EFAULT, -ENOMEM, or -EINTR for a fatal signal.
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

		if (fatal_signal_pending(current)) {
			err = -EINTR;
			break;
		}
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
		folio = shmdev_region_folio(region, pos >> PAGE_SHIFT, true,
					    &allocated);
		if (IS_ERR(folio)) {
			filemap_invalidate_unlock_shared(mapping);
			err = PTR_ERR(folio);
			break;
		}
		copied = shmdev_copy_from_iter_atomic(folio, pos, bytes, from);
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

/**
 * shmdev_region_llseek() - lseek() of a file bound to a region
 * @region: the region
 * @file: the file
 * @offset: as for lseek()
 * @whence: SEEK_SET, SEEK_CUR or SEEK_END
 *
 * SEEK_END is relative to the size; no position beyond the maximum.
 *
 * Return: the new position, or -EINVAL.
 */
loff_t shmdev_region_llseek(struct shmdev_region *region, struct file *file,
			    loff_t offset, int whence)
{
	return generic_file_llseek_size(file, offset, whence, region->max_size,
					shmdev_region_size(region));
}

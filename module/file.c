// SPDX-License-Identifier: GPL-2.0
/*
 * shmdev files: the file operations of /dev/shmdev and of region files,
 * and the ioctl dispatch. Each ioctl copies its argument in once,
 * validates it, and calls the file that owns the job.
 */

#include <linux/capability.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "shmdev.h"

/**
 * struct shmdev_file - state of one open file bound to a region
 * @region: the region; the file holds a reference and a file count
 *	(shmdev_region_unbind() drops both)
 * @acked_seq: the sequence this file last acknowledged (at open, by a
 *	successful WAIT or NOTIFY through it, once its result reached
 *	userspace); poll reports a readable file while the region's sequence
 *	differs from it. No lock: only shmdev_file_ack() moves it, forward,
 *	by compare-and-exchange.
 *
 * A file of /dev/shmdev is bound to the default region at open; a region
 * file, made by SHMDEV_IOC_OPEN, to its region at creation. Either stays
 * bound until its release.
 */
struct shmdev_file {
	struct shmdev_region *region;
	atomic64_t acked_seq;
};

static struct shmdev_file *shmdev_file_new(struct shmdev_region *region)
{
	struct shmdev_file *sf = kzalloc(sizeof(*sf), GFP_KERNEL);

	if (!sf)
		return NULL;
	sf->region = region;
	atomic64_set(&sf->acked_seq, shmdev_region_seq(region));
	return sf;
}

/* open() of /dev/shmdev: a file of the default region. */
static int shmdev_open(struct inode *inode, struct file *file)
{
	struct shmdev_region *region = shmdev_default_region;
	struct shmdev_file *sf;

	shmdev_count(SHMDEV_STAT_OPENS);
	sf = shmdev_file_new(region);
	if (!sf)
		return -ENOMEM;
	shmdev_region_get(region);
	shmdev_region_bind(region);
	file->private_data = sf;
	/*
	 * The region's page cache is this file's: mappings of the file are
	 * linked into it, and read()/write()/lseek() see its size.
	 */
	file->f_mapping = region->inode->i_mapping;
	return 0;
}

static int shmdev_release(struct inode *inode, struct file *file)
{
	struct shmdev_file *sf = file->private_data;

	shmdev_count(SHMDEV_STAT_RELEASES);
	shmdev_region_unbind(sf->region);
	kfree(sf);
	return 0;
}

/*
 * A new file descriptor for a named region: everything that can fail is
 * done before the name is looked up, or undone, so that a failed OPEN
 * creates nothing and charges nothing.
 */
static long shmdev_file_open_named(const struct shmdev_open *args)
{
	int flags = args->flags & SHMDEV_OPEN_RDONLY ? O_RDONLY : O_RDWR;
	struct shmdev_region *region;
	bool created = false;
	struct shmdev_file *sf;
	struct file *file;
	int fd, err;

	fd = get_unused_fd_flags(args->flags & SHMDEV_OPEN_CLOEXEC ? O_CLOEXEC : 0);
	if (fd < 0)
		return fd;
	sf = kzalloc(sizeof(*sf), GFP_KERNEL);
	if (!sf) {
		err = -ENOMEM;
		goto err_fd;
	}
	region = shmdev_name_open(args, &created);
	if (IS_ERR(region)) {
		err = PTR_ERR(region);
		goto err_sf;
	}
	file = shmdev_fs_file(region, flags, &shmdev_fops);
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		if (created)
			shmdev_name_abort(region);
		shmdev_region_unbind(region);
		goto err_sf;
	}
	sf->region = region;
	atomic64_set(&sf->acked_seq, shmdev_region_seq(region));
	file->private_data = sf;
	fd_install(fd, file);
	return fd;

err_sf:
	kfree(sf);
err_fd:
	put_unused_fd(fd);
	return err;
}

static int shmdev_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct shmdev_file *sf = file->private_data;

	shmdev_count(SHMDEV_STAT_MMAPS);
	/* Offsets from SHMDEV_CTRL_OFFSET on are the control page's. */
	if (vma->vm_pgoff >= SHMDEV_CTRL_PGOFF)
		return shmdev_ctrl_mmap(sf->region, vma);
	return shmdev_region_mmap(sf->region, vma);
}

static ssize_t shmdev_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct shmdev_file *sf = iocb->ki_filp->private_data;

	shmdev_count(SHMDEV_STAT_READS);
	return shmdev_region_read(sf->region, iocb, to);
}

static ssize_t shmdev_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct shmdev_file *sf = iocb->ki_filp->private_data;

	shmdev_count(SHMDEV_STAT_WRITES);
	return shmdev_region_write(sf->region, iocb, from);
}

static loff_t shmdev_llseek(struct file *file, loff_t offset, int whence)
{
	struct shmdev_file *sf = file->private_data;

	shmdev_count(SHMDEV_STAT_SEEKS);
	return shmdev_region_llseek(sf->region, file, offset, whence);
}

static __poll_t shmdev_poll(struct file *file, poll_table *wait)
{
	struct shmdev_file *sf = file->private_data;

	shmdev_count(SHMDEV_STAT_POLLS);
	return shmdev_region_poll(sf->region, file, &sf->acked_seq, wait);
}

static long shmdev_ioc_set_size(struct file *file, struct shmdev_region *region,
				void __user *argp)
{
	u64 size;

	/* Shrinking destroys data: only a writer may resize. */
	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	if (copy_from_user(&size, argp, sizeof(size)))
		return -EFAULT;
	return shmdev_region_set_size(region, size);
}

static long shmdev_ioc_get_size(struct shmdev_region *region, void __user *argp)
{
	u64 size = shmdev_region_size(region);

	if (copy_to_user(argp, &size, sizeof(size)))
		return -EFAULT;
	return 0;
}

static long shmdev_ioc_get_info(struct shmdev_region *region, void __user *argp)
{
	struct shmdev_info info;

	/* Zeroes the reserved fields and any padding. */
	memset(&info, 0, sizeof(info));
	shmdev_region_info(region, &info);
	if (copy_to_user(argp, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

static long shmdev_ioc_page_info(struct shmdev_region *region, void __user *argp)
{
	struct shmdev_page_query __user *uquery = argp;
	struct shmdev_page_info __user *upages;
	struct shmdev_page_query query;
	u64 end, index;
	bool show_pfn;
	u32 done = 0;

	if (copy_from_user(&query, uquery, sizeof(query)))
		return -EFAULT;
	if (query.flags)
		return -EINVAL;
	upages = u64_to_user_ptr(query.pages);
	/*
	 * As /proc/PID/pagemap: physical addresses are for the privileged.
	 * Withholding them is no denial, so leave no audit record.
	 */
	show_pfn = ns_capable_noaudit(&init_user_ns, CAP_SYS_ADMIN);

	/* end is at most 2^28 (1 TiB of pages): index never overflows. */
	end = shmdev_region_page_count(region);
	for (index = query.index; done < query.count && index < end; index++) {
		struct shmdev_page_info info;

		shmdev_region_page_info(region, index, show_pfn, &info);
		if (copy_to_user(&upages[done], &info, sizeof(info)))
			return -EFAULT;
		done++;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	if (put_user(done, &uquery->count))
		return -EFAULT;
	return 0;
}

static long shmdev_ioc_notify(struct file *file, struct shmdev_file *sf,
			      void __user *argp)
{
	__u64 __user *useq = argp;
	u64 seq;

	/* A reader must not wake the writer's waiters. */
	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	/*
	 * Fail a bad pointer before the sequence moves: a rejected call
	 * changes nothing (short of another thread unmapping it between).
	 */
	if (put_user(0, useq))
		return -EFAULT;
	seq = shmdev_region_notify(sf->region);
	if (put_user(seq, useq))
		return -EFAULT;
	shmdev_file_ack(&sf->acked_seq, seq);
	return 0;
}

static long shmdev_ioc_wake(struct file *file, struct shmdev_region *region)
{
	/* As NOTIFY: a reader must not wake the writer's waiters. */
	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	shmdev_region_wake(region);
	return 0;
}

static long shmdev_ioc_wait(struct shmdev_file *sf, void __user *argp)
{
	struct shmdev_wait __user *uwait = argp;
	struct shmdev_wait args;
	ktime_t deadline;
	bool timed;
	u64 seq;
	int ret;

	if (copy_from_user(&args, uwait, sizeof(args)))
		return -EFAULT;
	if ((args.flags & ~SHMDEV_WAIT_ABSTIME) || args.pad)
		return -EINVAL;
	if (args.flags & SHMDEV_WAIT_ABSTIME) {
		if (args.timeout_ns < 0)
			return -EINVAL;
		deadline = ns_to_ktime(args.timeout_ns);
		timed = true;
	} else {
		timed = args.timeout_ns >= 0;
		deadline = ktime_add_safe(ktime_get(), ns_to_ktime(args.timeout_ns));
	}

	seq = args.seq;
	ret = shmdev_region_wait(sf->region, &seq, timed ? &deadline : NULL);
	if (ret == -ERESTARTSYS && timed && !(args.flags & SHMDEV_WAIT_ABSTIME)) {
		/* The restarted call, or a retry after EINTR, keeps the deadline. */
		args.timeout_ns = ktime_to_ns(deadline);
		args.flags |= SHMDEV_WAIT_ABSTIME;
		if (copy_to_user(uwait, &args, sizeof(args)))
			return -EFAULT;
	}
	if (ret)
		return ret;
	/* Acknowledge only what userspace got: a failed copy changes nothing. */
	if (put_user(seq, &uwait->seq))
		return -EFAULT;
	shmdev_file_ack(&sf->acked_seq, seq);
	return 0;
}

#define SHMDEV_OPEN_FLAGS	(SHMDEV_OPEN_CREATE | SHMDEV_OPEN_EXCL | \
				 SHMDEV_OPEN_RDONLY | SHMDEV_OPEN_CLOEXEC | \
				 SHMDEV_OPEN_AUTOREMOVE | SHMDEV_OPEN_NOHUGE)

static long shmdev_ioc_open(void __user *argp)
{
	struct shmdev_open args;

	shmdev_count(SHMDEV_STAT_OPENS);
	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if ((args.flags & ~SHMDEV_OPEN_FLAGS) ||
	    memchr_inv(args.reserved, 0, sizeof(args.reserved)))
		return -EINVAL;
	/* EXCL, AUTOREMOVE and NOHUGE describe a creation. */
	if (!(args.flags & SHMDEV_OPEN_CREATE) &&
	    (args.flags & (SHMDEV_OPEN_EXCL | SHMDEV_OPEN_AUTOREMOVE |
			   SHMDEV_OPEN_NOHUGE)))
		return -EINVAL;
	if ((args.flags & SHMDEV_OPEN_CREATE) && (args.mode & ~0777))
		return -EINVAL;

	return shmdev_file_open_named(&args);
}

static long shmdev_ioc_unlink(void __user *argp)
{
	struct shmdev_name args;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	return shmdev_name_unlink(&args);
}

static long shmdev_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct shmdev_file *sf = file->private_data;
	void __user *argp = (void __user *)arg;

	shmdev_count(SHMDEV_STAT_IOCTLS);
	switch (cmd) {
	case SHMDEV_IOC_SET_SIZE:
		return shmdev_ioc_set_size(file, sf->region, argp);
	case SHMDEV_IOC_GET_SIZE:
		return shmdev_ioc_get_size(sf->region, argp);
	case SHMDEV_IOC_GET_INFO:
		return shmdev_ioc_get_info(sf->region, argp);
	case SHMDEV_IOC_NOTIFY:
		return shmdev_ioc_notify(file, sf, argp);
	case SHMDEV_IOC_WAIT:
		return shmdev_ioc_wait(sf, argp);
	case SHMDEV_IOC_WAKE:
		return shmdev_ioc_wake(file, sf->region);
	case SHMDEV_IOC_PAGE_INFO:
		return shmdev_ioc_page_info(sf->region, argp);
	case SHMDEV_IOC_OPEN:
		return shmdev_ioc_open(argp);
	case SHMDEV_IOC_UNLINK:
		return shmdev_ioc_unlink(argp);
	default:
		return -ENOIOCTLCMD;
	}
}

/* /proc/PID/fdinfo/N of a shmdev file, after the VFS's own lines. */
static void shmdev_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct shmdev_file *sf = file->private_data;
	struct shmdev_region *region = sf->region;

	seq_printf(m, "shmdev-region:\t%u\n", region->id);
	seq_printf(m, "shmdev-size:\t%llu\n", shmdev_region_size(region));
	seq_printf(m, "shmdev-max-size:\t%llu\n", region->max_size);
	seq_printf(m, "shmdev-seq:\t%llu\n", shmdev_region_seq(region));
	seq_printf(m, "shmdev-acked-seq:\t%lld\n", atomic64_read(&sf->acked_seq));
}

/* Of /dev/shmdev and of every region file. */
const struct file_operations shmdev_fops = {
	.owner		= THIS_MODULE,
	.open		= shmdev_open,
	.release	= shmdev_release,
	.mmap		= shmdev_mmap,
	/* 2 MiB-aligned mappings, so that huge folios map with one PMD. */
	.get_unmapped_area = thp_get_unmapped_area,
	.read_iter	= shmdev_read_iter,
	.write_iter	= shmdev_write_iter,
	.llseek		= shmdev_llseek,
	.poll		= shmdev_poll,
	.unlocked_ioctl	= shmdev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.show_fdinfo	= shmdev_show_fdinfo,
};

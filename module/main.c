// SPDX-License-Identifier: GPL-2.0
/*
 * shmdev - a shared-memory character device
 *
 * /dev/shmdev binds every open file to the default region (region.c):
 * mmap(MAP_SHARED) maps its pages, read() and write() access its bytes,
 * ioctls size it and report on it, and NOTIFY, WAIT and poll give a
 * wake-up channel (notify.c). Userspace sees, for instance:
 *
 *	fd = open("/dev/shmdev", O_RDWR);
 *	ioctl(fd, SHMDEV_IOC_SET_SIZE, &(__u64){ 1 << 20 });
 *	p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
 *
 * Documentation/userspace-api/shmdev.rst is the reference of the API.
 */

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "shmdev.h"

/* Bytes; a multiple of PAGE_SIZE, set at load time only. */
#define SHMDEV_DEFAULT_MAX_SIZE	((u64)SZ_256M)
#define SHMDEV_MAX_SIZE_LIMIT	BIT_ULL(40)

static u64 max_size = SHMDEV_DEFAULT_MAX_SIZE;

static int max_size_set(const char *val, const struct kernel_param *kp)
{
	u64 v;
	int err;

	err = kstrtou64(val, 0, &v);
	if (err)
		return err;
	if (!v || !PAGE_ALIGNED(v) || v > SHMDEV_MAX_SIZE_LIMIT)
		return -EINVAL;
	*(u64 *)kp->arg = v;
	return 0;
}

static int max_size_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%llu\n", *(u64 *)kp->arg);
}

static const struct kernel_param_ops max_size_ops = {
	.set = max_size_set,
	.get = max_size_get,
};

module_param_cb(max_size, &max_size_ops, &max_size, 0444);
MODULE_PARM_DESC(max_size,
		 "Largest region size in bytes, a multiple of the page size up to 1 TiB (default: 268435456, 256 MiB)");

/* Lives from module load to unload; see "Lifetime" in region.c. */
static struct shmdev_region *shmdev_default_region;

static int shmdev_open(struct inode *inode, struct file *file)
{
	struct shmdev_region *region = shmdev_default_region;
	struct shmdev_file *sf;

	shmdev_count(SHMDEV_STAT_OPENS);
	sf = kzalloc(sizeof(*sf), GFP_KERNEL);
	if (!sf)
		return -ENOMEM;
	sf->region = shmdev_region_get(region);
	atomic64_set(&sf->acked_seq, shmdev_region_seq(region));
	atomic_inc(&region->nr_files);
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
	atomic_dec(&sf->region->nr_files);
	shmdev_region_put(sf->region);
	kfree(sf);
	return 0;
}

static int shmdev_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct shmdev_file *sf = file->private_data;

	shmdev_count(SHMDEV_STAT_MMAPS);
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

/* SEEK_END is relative to the size; no position beyond the maximum. */
static loff_t shmdev_llseek(struct file *file, loff_t offset, int whence)
{
	struct shmdev_file *sf = file->private_data;
	struct shmdev_region *region = sf->region;

	shmdev_count(SHMDEV_STAT_SEEKS);
	return generic_file_llseek_size(file, offset, whence, region->max_size,
					shmdev_region_size(region));
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

static long shmdev_ioc_notify(struct shmdev_file *sf, void __user *argp)
{
	__u64 __user *useq = argp;
	u64 seq;

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

static long shmdev_ioc_wait(struct shmdev_file *sf, void __user *argp)
{
	struct shmdev_wait __user *uwait = argp;
	struct shmdev_wait args;
	u64 seq;
	int ret;

	if (copy_from_user(&args, uwait, sizeof(args)))
		return -EFAULT;
	if (args.flags || args.pad)
		return -EINVAL;

	seq = args.seq;
	ret = shmdev_region_wait(sf->region, &seq, args.timeout_ns);
	if (ret)
		return ret;
	/* Acknowledge only what userspace got: a failed copy changes nothing. */
	if (put_user(seq, &uwait->seq))
		return -EFAULT;
	shmdev_file_ack(&sf->acked_seq, seq);
	return 0;
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
		return shmdev_ioc_notify(sf, argp);
	case SHMDEV_IOC_WAIT:
		return shmdev_ioc_wait(sf, argp);
	case SHMDEV_IOC_PAGE_INFO:
		return shmdev_ioc_page_info(sf->region, argp);
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

static const struct file_operations shmdev_fops = {
	.owner		= THIS_MODULE,
	.open		= shmdev_open,
	.release	= shmdev_release,
	.mmap		= shmdev_mmap,
	.read_iter	= shmdev_read_iter,
	.write_iter	= shmdev_write_iter,
	.llseek		= shmdev_llseek,
	.poll		= shmdev_poll,
	.unlocked_ioctl	= shmdev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.show_fdinfo	= shmdev_show_fdinfo,
};

static struct miscdevice shmdev_misc = {
	.minor		= MISC_DYNAMIC_MINOR,
	.name		= "shmdev",
	.fops		= &shmdev_fops,
	.mode		= 0600,
};

static int __init shmdev_init(void)
{
	int err;

	err = shmdev_fs_init();
	if (err)
		return err;

	shmdev_default_region = shmdev_region_create(max_size);
	if (IS_ERR(shmdev_default_region)) {
		err = PTR_ERR(shmdev_default_region);
		goto err_fs;
	}

	shmdev_debugfs_init();
	err = misc_register(&shmdev_misc);
	if (err)
		goto err_debugfs;
	return 0;

err_debugfs:
	shmdev_debugfs_exit();
	shmdev_region_put(shmdev_default_region);
err_fs:
	shmdev_fs_exit();
	return err;
}

/*
 * Open files pin the module (fops.owner) and mappings pin their file, so
 * once unload is allowed the module's reference is the region's last one.
 */
static void __exit shmdev_exit(void)
{
	misc_deregister(&shmdev_misc);
	shmdev_debugfs_exit();
	shmdev_region_put(shmdev_default_region);
	shmdev_fs_exit();
}

module_init(shmdev_init);
module_exit(shmdev_exit);

MODULE_AUTHOR("The shmdev developers");
MODULE_DESCRIPTION("Shared-memory character device with wait/notify");
MODULE_LICENSE("GPL");

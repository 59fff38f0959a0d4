// SPDX-License-Identifier: GPL-2.0
/*
 * shmdev - a shared-memory character device
 *
 * /dev/shmdev binds every open file to the default region (region.c);
 * SHMDEV_IOC_OPEN gives a file of a named region (names.c). On either,
 * mmap(MAP_SHARED) maps the region's pages (fault.c), read() and write()
 * access its bytes (io.c), ioctls size it and report on it, and NOTIFY,
 * WAIT and poll give a wake-up channel (notify.c). Userspace sees, for
 * instance:
 *
 *	fd = open("/dev/shmdev", O_RDWR);
 *	ioctl(fd, SHMDEV_IOC_SET_SIZE, &(__u64){ 1 << 20 });
 *	p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
 *
 *	struct shmdev_open o = { .name = "jobs", .size = 1 << 20,
 *				 .flags = SHMDEV_OPEN_CREATE, .mode = 0600 };
 *	rfd = ioctl(fd, SHMDEV_IOC_OPEN, &o);
 *
 * This file holds the module parameters, the misc device, and the order
 * in which the parts start and stop.
 *
 * Documentation/userspace-api/shmdev.rst is the reference of the API.
 */

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sizes.h>
#include <linux/sysfs.h>

#include "shmdev.h"

/* Bytes; a multiple of PAGE_SIZE, set at load time only. */
#define SHMDEV_DEFAULT_MAX_SIZE	((u64)SZ_256M)
#define SHMDEV_MAX_REGIONS_LIMIT	BIT(20)

u64 shmdev_max_size = SHMDEV_DEFAULT_MAX_SIZE;
unsigned int shmdev_max_regions = 4096;
/* 0 until load: then the machine's RAM, unless given (account.c). */
u64 shmdev_max_total_size;

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

static int u64_param_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%llu\n", *(u64 *)kp->arg);
}

static const struct kernel_param_ops max_size_ops = {
	.set = max_size_set,
	.get = u64_param_get,
};

module_param_cb(max_size, &max_size_ops, &shmdev_max_size, 0444);
MODULE_PARM_DESC(max_size,
		 "Largest region size in bytes, a multiple of the page size up to 1 TiB (default: 268435456, 256 MiB)");

static int max_regions_set(const char *val, const struct kernel_param *kp)
{
	unsigned int v;
	int err;

	err = kstrtouint(val, 0, &v);
	if (err)
		return err;
	if (!v || v > SHMDEV_MAX_REGIONS_LIMIT)
		return -EINVAL;
	WRITE_ONCE(*(unsigned int *)kp->arg, v);
	return 0;
}

static const struct kernel_param_ops max_regions_ops = {
	.set = max_regions_set,
	.get = param_get_uint,
};

module_param_cb(max_regions, &max_regions_ops, &shmdev_max_regions, 0644);
MODULE_PARM_DESC(max_regions,
		 "Regions that may exist at once, the default region included, 1 to 1048576 (default: 4096)");

/* Bytes; lowering it below what is reserved only stops growth. */
static int max_total_size_set(const char *val, const struct kernel_param *kp)
{
	u64 v;
	int err;

	err = kstrtou64(val, 0, &v);
	if (err)
		return err;
	if (v > SHMDEV_MAX_SIZE_LIMIT * SHMDEV_MAX_REGIONS_LIMIT)
		return -EINVAL;
	WRITE_ONCE(*(u64 *)kp->arg, v);
	return 0;
}

static const struct kernel_param_ops max_total_size_ops = {
	.set = max_total_size_set,
	.get = u64_param_get,
};

module_param_cb(max_total_size, &max_total_size_ops, &shmdev_max_total_size, 0644);
MODULE_PARM_DESC(max_total_size,
		 "Bytes all regions together may reserve (default: 0 at load, meaning the machine's RAM)");

#ifdef CONFIG_TRANSPARENT_HUGEPAGE
/*
 * Whether faults and writes may allocate PMD-size folios (huge.c); read
 * at each allocation, so turning it off affects only later allocations.
 */
bool shmdev_huge_pages = true;
module_param_named(huge_pages, shmdev_huge_pages, bool, 0644);
MODULE_PARM_DESC(huge_pages,
		 "Back each whole, aligned 2 MiB of a region with one huge page where one can be had (default: Y)");
#endif

static struct miscdevice shmdev_misc = {
	.minor		= MISC_DYNAMIC_MINOR,
	.name		= "shmdev",
	.fops		= &shmdev_fops,
	.mode		= 0600,
};

static int __init shmdev_init(void)
{
	int err;

	shmdev_account_init();
	err = shmdev_names_init();
	if (err)
		return err;
	err = shmdev_fs_init();
	if (err)
		goto err_names;
	err = shmdev_regions_init();
	if (err)
		goto err_fs;
	shmdev_debugfs_init();
	err = shmdev_proc_init();
	if (err)
		goto err_debugfs;
	err = misc_register(&shmdev_misc);
	if (err)
		goto err_proc;
	return 0;

err_proc:
	shmdev_proc_exit();
err_debugfs:
	shmdev_debugfs_exit();
	shmdev_regions_exit();
err_fs:
	shmdev_fs_exit();
err_names:
	shmdev_names_exit();
	return err;
}

/*
 * Open files pin the module (fops.owner; region files take the same
 * reference) and mappings pin their file, so once unload is allowed no
 * file is left: the names hold the last references of the named regions,
 * the module that of the default region.
 */
static void __exit shmdev_exit(void)
{
	misc_deregister(&shmdev_misc);
	shmdev_proc_exit();
	shmdev_debugfs_exit();
	shmdev_names_exit();
	shmdev_regions_exit();
	shmdev_fs_exit();
}

module_init(shmdev_init);
module_exit(shmdev_exit);

MODULE_AUTHOR("The shmdev developers");
MODULE_DESCRIPTION("Shared-memory character device with wait/notify");
MODULE_LICENSE("GPL");

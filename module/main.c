// SPDX-License-Identifier: GPL-2.0
/*
 * shmdev - a shared-memory character device
 */

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>

#include <linux/shmdev.h>

static long shmdev_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	return -ENOIOCTLCMD;
}

static const struct file_operations shmdev_fops = {
	.owner		= THIS_MODULE,
	.open		= nonseekable_open,
	.unlocked_ioctl	= shmdev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice shmdev_misc = {
	.minor		= MISC_DYNAMIC_MINOR,
	.name		= "shmdev",
	.fops		= &shmdev_fops,
	.mode		= 0600,
};

module_misc_device(shmdev_misc);

MODULE_AUTHOR("The shmdev developers");
MODULE_DESCRIPTION("Shared-memory character device with wait/notify");
MODULE_LICENSE("GPL");

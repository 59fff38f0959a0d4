/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * shmdev: a shared-memory character device with a wait/notify channel.
 *
 * Documentation/userspace-api/shmdev.rst describes every ioctl, its fields
 * and its errors.
 */

#ifndef __UAPI_LINUX_SHMDEV_H
#define __UAPI_LINUX_SHMDEV_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * struct shmdev_wait - argument of %SHMDEV_IOC_WAIT
 * @seq: in: the sequence the caller last saw; out: the current sequence
 * @timeout_ns: relative timeout in nanoseconds; negative waits forever,
 *	0 does not block
 * @flags: must be 0
 * @pad: must be 0
 */
struct shmdev_wait {
	__u64 seq;
	__s64 timeout_ns;
	__u32 flags;
	__u32 pad;
};

/**
 * struct shmdev_info - result of %SHMDEV_IOC_GET_INFO
 * @size: size of the region in bytes
 * @max_size: largest size the region may be given, in bytes
 * @seq: current notification sequence
 * @nr_pages: pages of the region currently allocated
 * @nr_mappings: memory mappings (VMAs) of the region in all processes
 * @nr_files: open files bound to the region
 * @reserved: written as 0; room for later fields
 */
struct shmdev_info {
	__u64 size;
	__u64 max_size;
	__u64 seq;
	__u64 nr_pages;
	__u32 nr_mappings;
	__u32 nr_files;
	__u64 reserved[10];
};

/* 0xBE is not assigned in Documentation/userspace-api/ioctl/ioctl-number.rst. */
#define SHMDEV_IOC_MAGIC	0xBE

#define SHMDEV_IOC_SET_SIZE	_IOW(SHMDEV_IOC_MAGIC, 0x00, __u64)
#define SHMDEV_IOC_GET_SIZE	_IOR(SHMDEV_IOC_MAGIC, 0x01, __u64)
#define SHMDEV_IOC_NOTIFY	_IOR(SHMDEV_IOC_MAGIC, 0x02, __u64)
#define SHMDEV_IOC_WAIT		_IOWR(SHMDEV_IOC_MAGIC, 0x03, struct shmdev_wait)
#define SHMDEV_IOC_GET_INFO	_IOR(SHMDEV_IOC_MAGIC, 0x04, struct shmdev_info)

#endif /* __UAPI_LINUX_SHMDEV_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * shmdev's pseudo file system: the inode of each region, its region
 * files, and what the VFS asks of them (fstat, ftruncate, fchmod, fchown,
 * the name in /proc/PID/maps).
 */

#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pagemap.h>
#include <linux/pseudo_fs.h>
#include <linux/stat.h>
#include <linux/string.h>

#include "compat.h"
#include "shmdev.h"

/*
 * The file system is mounted internally, never in a namespace that
 * userspace sees. Each region has one inode on it (alloc_anon_inode()):
 * its page cache holds the region's pages (pages.c), its i_size the size,
 * its i_uid, i_gid and i_mode the owner, group and permissions, and it is
 * a regular file, so that fstat(), ftruncate(), fchmod() and fchown() of a
 * region file behave as for a file. Each region file has a dentry of its
 * own, named "shmdev:NAME", which holds a reference to the inode and to
 * the mount.
 *
 * Module lifetime: a dentry, and with it the inode and the mount, may
 * outlive every region file and the region itself (an O_PATH descriptor
 * opened through /proc/PID/fd/N holds one, and takes no module
 * reference), and then reaches this module's dentry, inode and super
 * operations. So the superblock that holds named regions' inodes pins the
 * module (file_system_type.owner): it is mounted by simple_pin_fs() when
 * the first named region is created and lives until the last region and
 * the last such reference are gone. rmmod is refused meanwhile. The
 * default region, which has no region files, lives on a second superblock
 * that the module mounts for its whole life and that pins nothing.
 *
 * When a region dies (region.c), its inode may live on: its pages are
 * freed then, and i_private is cleared under i_rwsem, so that setattr
 * through such a dentry finds no region.
 */

/* "shmd": the pseudo file system is internal; this only names its superblock. */
#define SHMDEV_FS_MAGIC		0x73686d64

/* Named regions' superblock; simple_pin_fs() mounts it, for @shmdev_pins. */
static struct vfsmount *shmdev_mnt;
static int shmdev_pins;
/* The default region's; mounted from load to unload. */
static struct vfsmount *shmdev_default_mnt;

/* ftruncate(), fchmod(), fchown() of a region file; i_rwsem is held. */
static int shmdev_setattr(shmdev_idmap_t *idmap, struct dentry *dentry,
			  struct iattr *attr)
{
	struct inode *inode = d_inode(dentry);
	int err;

	lockdep_assert_held_write(&inode->i_rwsem);
	err = setattr_prepare(idmap, dentry, attr);
	if (err)
		return err;
	if (attr->ia_valid & ATTR_SIZE) {
		/* NULL once the region died (top of this file). */
		if (!inode->i_private)
			return -ENOENT;
		err = shmdev_region_set_size(inode->i_private, attr->ia_size);
		if (err)
			return err;
	}
	setattr_copy(idmap, inode, attr);
	return 0;
}

/* fstat(): st_blocks counts the resident pages, in 512-byte units. */
static int shmdev_getattr(shmdev_idmap_t *idmap, const struct path *path,
			  struct kstat *stat, u32 request_mask,
			  unsigned int query_flags)
{
	struct inode *inode = d_inode(path->dentry);

	shmdev_generic_fillattr(idmap, request_mask, inode, stat);
	stat->blocks = (u64)READ_ONCE(inode->i_mapping->nrpages) << (PAGE_SHIFT - 9);
	return 0;
}

static const struct inode_operations shmdev_inode_ops = {
	.setattr	= shmdev_setattr,
	.getattr	= shmdev_getattr,
};

/*
 * The path of a region file in /proc/PID/maps and /proc/PID/fd: the
 * dentry's name, "shmdev:NAME", without the "/" and " (deleted)" that
 * d_path() gives an unhashed dentry of an unreachable mount.
 */
static char *shmdev_dname(struct dentry *dentry, char *buffer, int buflen)
{
	int len = dentry->d_name.len + 1;

	if (len > buflen)
		return ERR_PTR(-ENAMETOOLONG);
	buffer += buflen - len;
	memcpy(buffer, dentry->d_name.name, len);
	return buffer;
}

static const struct dentry_operations shmdev_dops = {
	.d_dname	= shmdev_dname,
};

static int shmdev_init_fs_context(struct fs_context *fc)
{
	struct pseudo_fs_context *ctx = init_pseudo(fc, SHMDEV_FS_MAGIC);

	if (!ctx)
		return -ENOMEM;
	ctx->dops = &shmdev_dops;
	/* Region files cannot be executed or mapped executable. */
	fc->s_iflags |= SB_I_NOEXEC | SB_I_NODEV;
	return 0;
}

static struct file_system_type shmdev_fs_type = {
	.owner		 = THIS_MODULE,
	.name		 = "shmdev",
	.init_fs_context = shmdev_init_fs_context,
	.kill_sb	 = kill_anon_super,
};

static struct file_system_type shmdev_default_fs_type = {
	.name		 = "shmdev-default",
	.init_fs_context = shmdev_init_fs_context,
	.kill_sb	 = kill_anon_super,
};

/**
 * shmdev_fs_init() - mount the internal pseudo file system
 *
 * Return: 0 or a negative errno.
 * Context: Module load.
 */
int shmdev_fs_init(void)
{
	shmdev_default_mnt = kern_mount(&shmdev_default_fs_type);
	return PTR_ERR_OR_ZERO(shmdev_default_mnt);
}

/**
 * shmdev_fs_exit() - unmount the internal pseudo file system
 *
 * Context: Module unload, after the last region was released.
 */
void shmdev_fs_exit(void)
{
	kern_unmount(shmdev_default_mnt);
}

/**
 * shmdev_fs_inode() - the private inode of a new region
 * @region: the region, which the inode's i_private will point to
 * @mode: permission bits; the owner and group are the caller's fsuid and
 *	fsgid
 *
 * The default region's inode is on the default superblock, a named one's
 * on the superblock that pins the module: shmdev_fs_inode_put() gives
 * back what this takes.
 *
 * Return: the inode, with one reference, or an ERR_PTR().
 * Context: Process context; may sleep.
 */
struct inode *shmdev_fs_inode(struct shmdev_region *region, umode_t mode)
{
	struct vfsmount *mnt = shmdev_default_mnt;
	struct inode *inode;
	int err;

	if (!(region->flags & SHMDEV_INFO_DEFAULT)) {
		err = simple_pin_fs(&shmdev_fs_type, &shmdev_mnt, &shmdev_pins);
		if (err)
			return ERR_PTR(err);
		mnt = shmdev_mnt;
	}
	inode = alloc_anon_inode(mnt->mnt_sb);
	if (IS_ERR(inode)) {
		if (mnt == shmdev_mnt)
			simple_release_fs(&shmdev_mnt, &shmdev_pins);
		return inode;
	}
	/* A regular file, so that ftruncate() and fstat() treat it as one. */
	inode->i_mode = S_IFREG | (mode & 0777);
	inode->i_uid = current_fsuid();
	inode->i_gid = current_fsgid();
	inode->i_op = &shmdev_inode_ops;
	inode->i_private = region;
	shmdev_pages_init_mapping(inode->i_mapping);
	return inode;
}

/**
 * shmdev_fs_inode_put() - drop a dead region's inode
 * @region: the region, which nothing reaches any more
 *
 * Frees the pages now, even if a dentry keeps the inode, and leaves the
 * inode no way back to the region.
 * Context: Process context; may sleep. Takes i_rwsem and invalidate_lock.
 */
void shmdev_fs_inode_put(struct shmdev_region *region)
{
	struct inode *inode = region->inode;

	inode_lock(inode);
	filemap_invalidate_lock(inode->i_mapping);
	inode->i_private = NULL;
	i_size_write(inode, 0);
	truncate_inode_pages(inode->i_mapping, 0);
	filemap_invalidate_unlock(inode->i_mapping);
	inode_unlock(inode);
	iput(inode);
	if (!(region->flags & SHMDEV_INFO_DEFAULT))
		simple_release_fs(&shmdev_mnt, &shmdev_pins);
}

/**
 * shmdev_fs_file() - a new file of a region's inode
 * @region: the region
 * @flags: O_RDONLY or O_RDWR
 * @fops: the file's operations
 *
 * The file is named "shmdev:NAME". Like memfd's, it can be read and
 * written at any position and truncated beyond 2 GiB.
 *
 * Return: the file, which holds a reference to the inode and to the
 * module, or an ERR_PTR().
 * Context: Process context, in a call on a shmdev file (which pins the
 * module); may sleep. Only for named regions.
 */
struct file *shmdev_fs_file(struct shmdev_region *region, int flags,
			    const struct file_operations *fops)
{
	char name[sizeof("shmdev:") + SHMDEV_NAME_MAX];
	struct file *file;

	snprintf(name, sizeof(name), "shmdev:%s", region->key.name);
	/* Each consumed by the file; fput() gives them back. */
	ihold(region->inode);
	__module_get(THIS_MODULE);
	file = alloc_file_pseudo(region->inode, shmdev_mnt, name,
				 flags | O_LARGEFILE, fops);
	if (IS_ERR(file)) {
		module_put(THIS_MODULE);
		iput(region->inode);
		return file;
	}
	file->f_mode |= FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE;
	return file;
}


// SPDX-License-Identifier: GPL-2.0
/*
 * shmdev regions: the object that every file, mapping and name of a
 * region leads to, its creation, references and destruction.
 */

#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/user_namespace.h>

#include "shmdev.h"

/*
 * Object model
 * ============
 *
 * A region (struct shmdev_region) is the shared memory itself: the pages
 * in its private inode's page cache (pages.c), its size, owner and mode
 * (the inode's), its name (names.c), its charge (account.c) and its
 * notification state (notify.c) with the control page that holds it
 * (ctrl.c). It is separate from the device and from
 * any struct file.
 *
 * Lifetime
 * ========
 *
 * @refcount counts:
 *  - one reference of the module for the default region, from load to
 *    unload;
 *  - one reference of the name table while a named region has its name
 *    (until SHMDEV_IOC_UNLINK, the auto-removal, its namespace's death or
 *    unload);
 *  - one per open file bound to the region (file.c). A mapping holds a
 *    reference to its struct file, and so to the region.
 * Users of a single page (a fault, read(), write(), GUP) hold a reference
 * to that page only: truncation drops the page cache's reference and the
 * page is freed at its last put.
 *
 * The last reference gives the region's charge back (account.c), drops
 * the region's reference to its control page (ctrl.c: mappings and pins
 * of that page hold their own) and the region's reference to its inode;
 * region files hold their own inode references through their dentries,
 * and the last iput() frees the pages.
 *
 * shmdev_regions_lock protects the list of all regions (for debugfs), the
 * id counter and the region count. A region is on the list from its
 * publication, once its name is set, to its release, so a reader that
 * holds the lock may look at any region on it.
 */

static LIST_HEAD(shmdev_regions);
static DEFINE_MUTEX(shmdev_regions_lock);
static u32 shmdev_last_id;
static unsigned int shmdev_nr_regions;

/* Lives from module load to unload; see "Lifetime" above. */
struct shmdev_region *shmdev_default_region;

/**
 * shmdev_region_create() - create an empty region
 * @mode: permission bits; the owner and group are the caller's fsuid and
 *	fsgid
 * @flags: SHMDEV_INFO_DEFAULT, or SHMDEV_INFO_AUTOREMOVE and
 *	SHMDEV_INFO_NOHUGE, or 0
 *
 * The region has size 0, no name, no charge, and no id until
 * shmdev_region_publish(), which must follow before its first file.
 *
 * Return: the region, with one reference for the caller, or an ERR_PTR():
 * -ENOSPC when max_regions regions exist.
 * Context: Process context; may sleep.
 */
struct shmdev_region *shmdev_region_create(umode_t mode, u32 flags)
{
	struct shmdev_region *region;
	struct inode *inode;
	int err = -ENOMEM;

	region = kzalloc(sizeof(*region), GFP_KERNEL);
	if (!region)
		return ERR_PTR(-ENOMEM);
	region->flags = flags;
	region->nr_faults = alloc_percpu(u64);
	if (!region->nr_faults)
		goto err_free;
	err = shmdev_ctrl_init(region);
	if (err)
		goto err_free;

	/*
	 * The control page's offset lies above any data: max_size is at
	 * most SHMDEV_MAX_SIZE_LIMIT, and a shrink unmaps no further.
	 */
	BUILD_BUG_ON(SHMDEV_MAX_SIZE_LIMIT > SHMDEV_CTRL_OFFSET);
	mutex_lock(&shmdev_regions_lock);
	if (shmdev_nr_regions >= READ_ONCE(shmdev_max_regions)) {
		mutex_unlock(&shmdev_regions_lock);
		err = -ENOSPC;
		goto err_free;
	}
	shmdev_nr_regions++;
	mutex_unlock(&shmdev_regions_lock);

	inode = shmdev_fs_inode(region, mode);
	if (IS_ERR(inode)) {
		err = PTR_ERR(inode);
		goto err_count;
	}
	kref_init(&region->refcount);
	region->cuid = current_fsuid();
	region->inode = inode;
	region->max_size = shmdev_max_size;
	INIT_LIST_HEAD(&region->ns_node);
	init_waitqueue_head(&region->wq);
	return region;

err_count:
	mutex_lock(&shmdev_regions_lock);
	shmdev_nr_regions--;
	mutex_unlock(&shmdev_regions_lock);
err_free:
	shmdev_ctrl_free(region);
	free_percpu(region->nr_faults);
	kfree(region);
	return ERR_PTR(err);
}

/**
 * shmdev_region_publish() - list a new region and give it its id
 * @region: a region from shmdev_region_create(), whose name, if any, is
 *	set
 *
 * Context: Process context; may sleep.
 */
void shmdev_region_publish(struct shmdev_region *region)
{
	mutex_lock(&shmdev_regions_lock);
	region->id = ++shmdev_last_id;
	list_add_tail(&region->node, &shmdev_regions);
	mutex_unlock(&shmdev_regions_lock);
}

/**
 * shmdev_region_get() - take a reference to a region
 * @region: a region the caller already holds a reference to
 *
 * Return: @region.
 */
struct shmdev_region *shmdev_region_get(struct shmdev_region *region)
{
	kref_get(&region->refcount);
	return region;
}

static void shmdev_region_release(struct kref *kref)
{
	struct shmdev_region *region =
		container_of(kref, struct shmdev_region, refcount);

	mutex_lock(&shmdev_regions_lock);
	if (region->id)
		list_del(&region->node);
	shmdev_nr_regions--;
	mutex_unlock(&shmdev_regions_lock);
	/*
	 * No name and no file is left. Free the pages and cut the inode off
	 * first (it waits for a setattr in progress), then give the charge
	 * back.
	 */
	shmdev_fs_inode_put(region);
	shmdev_charge_release(region);
	shmdev_ctrl_free(region);
	free_percpu(region->nr_faults);
	kfree(region);
}

/**
 * shmdev_region_put() - drop a reference to a region
 * @region: the region
 *
 * The last reference frees the region and gives back its charge.
 * Context: Process context; may sleep.
 */
void shmdev_region_put(struct shmdev_region *region)
{
	kref_put(&region->refcount, shmdev_region_release);
}

/**
 * shmdev_regions_init() - create the default region
 *
 * Return: 0 or a negative errno.
 * Context: Module load, after the pseudo file system is mounted.
 */
int shmdev_regions_init(void)
{
	struct shmdev_region *region;

	region = shmdev_region_create(0600, SHMDEV_INFO_DEFAULT);
	if (IS_ERR(region))
		return PTR_ERR(region);
	/* Owned by root, whoever loads the module. */
	region->inode->i_uid = GLOBAL_ROOT_UID;
	region->inode->i_gid = GLOBAL_ROOT_GID;
	region->cuid = GLOBAL_ROOT_UID;
	shmdev_region_publish(region);
	shmdev_default_region = region;
	return 0;
}

/**
 * shmdev_regions_exit() - drop the default region
 *
 * Context: Module unload: no file is left, and names.c has dropped every
 * name, so this frees the last region.
 */
void shmdev_regions_exit(void)
{
	shmdev_region_put(shmdev_default_region);
	WARN_ON(!list_empty(&shmdev_regions));
}

/**
 * shmdev_region_named() - whether a region has a name
 * @region: the region
 *
 * Return: true while SHMDEV_IOC_OPEN can find the region by its name
 * (names.c sets and clears @region->ns); a snapshot.
 */
bool shmdev_region_named(struct shmdev_region *region)
{
	return !!READ_ONCE(region->ns);
}

/**
 * shmdev_region_info() - fill the region's part of struct shmdev_info
 * @region: the region
 * @info: filled with everything but the reserved fields
 *
 * The values are a snapshot; each may change as soon as it is read.
 */
void shmdev_region_info(struct shmdev_region *region, struct shmdev_info *info)
{
	struct user_namespace *ns = current_user_ns();
	struct inode *inode = region->inode;
	kuid_t payer;
	u64 charged;

	info->size = shmdev_region_size(region);
	info->max_size = region->max_size;
	info->seq = shmdev_region_seq(region);
	info->nr_pages = READ_ONCE(inode->i_mapping->nrpages);
	info->nr_mappings = shmdev_region_nr_mappings(region);
	info->nr_files = atomic_read(&region->nr_files);
	info->id = region->id;
	info->flags = region->flags;
	if (shmdev_region_named(region))
		info->flags |= SHMDEV_INFO_NAMED;
	info->uid = from_kuid_munged(ns, inode->i_uid);
	info->gid = from_kgid_munged(ns, inode->i_gid);
	info->mode = inode->i_mode & 0777;
	info->charged_uid = (u32)-1;
	if (shmdev_charge_get(region, &payer, &charged)) {
		info->charged_uid = from_kuid_munged(ns, payer);
		info->charged = charged;
	}
}

/**
 * shmdev_region_list_line() - one region's line of /proc/shmdev/regions
 * @m: the seq_file being read
 * @region: the region; the caller keeps it alive (a name or the module)
 *
 * Columns: id name uid gid mode size pages mappings files seq charged_uid
 * charged flags, as Documentation/userspace-api/shmdev.rst describes.
 */
void shmdev_region_list_line(struct seq_file *m, struct shmdev_region *region)
{
	struct user_namespace *ns = seq_user_ns(m);
	struct inode *inode = region->inode;
	kuid_t payer;
	u64 charged;

	seq_printf(m, "%u ", region->id);
	if (region->flags & SHMDEV_INFO_DEFAULT)
		seq_puts(m, "-");
	else
		seq_escape(m, region->key.name, " \t\n\\");
	seq_printf(m, " %u %u %04o %llu %lu %u %d %llu ",
		   from_kuid_munged(ns, inode->i_uid),
		   from_kgid_munged(ns, inode->i_gid),
		   inode->i_mode & 0777, shmdev_region_size(region),
		   READ_ONCE(inode->i_mapping->nrpages),
		   shmdev_region_nr_mappings(region),
		   atomic_read(&region->nr_files), shmdev_region_seq(region));
	if (shmdev_charge_get(region, &payer, &charged))
		seq_printf(m, "%u %llu ", from_kuid_munged(ns, payer), charged);
	else
		seq_puts(m, "- 0 ");
	if (region->flags & SHMDEV_INFO_DEFAULT)
		seq_puts(m, "D\n");
	else if (region->flags & SHMDEV_INFO_AUTOREMOVE)
		seq_puts(m, "A\n");
	else
		seq_puts(m, "-\n");
}

static u64 shmdev_region_faults(struct shmdev_region *region)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += *per_cpu_ptr(region->nr_faults, cpu);
	return sum;
}

/**
 * shmdev_regions_show() - print the table of debugfs shmdev/regions
 * @m: the seq_file being read
 *
 * One line per region, of every namespace, named or not: id, size and
 * maximum in bytes, resident pages, mappings, open files, sequence, the
 * fault, NOTIFY and WAIT counts, the charged user and bytes, the inode
 * number of the IPC namespace the name was made in (0: never named) and
 * the name, which an unlinked region keeps here.
 */
void shmdev_regions_show(struct seq_file *m)
{
	struct shmdev_region *region;

	seq_printf(m, "%6s %14s %14s %10s %8s %6s %10s %12s %10s %10s %8s %14s %10s %s\n",
		   "id", "size", "max_size", "pages", "mappings", "files",
		   "seq", "faults", "notifies", "waits", "payer", "charged",
		   "ipc_ns", "name");
	mutex_lock(&shmdev_regions_lock);
	list_for_each_entry(region, &shmdev_regions, node) {
		kuid_t payer;
		u64 charged;
		bool paid = shmdev_charge_get(region, &payer, &charged);

		seq_printf(m, "%6u %14llu %14llu %10lu %8u %6d %10llu %12llu %10lld %10lld ",
			   region->id, shmdev_region_size(region),
			   region->max_size,
			   READ_ONCE(region->inode->i_mapping->nrpages),
			   shmdev_region_nr_mappings(region),
			   atomic_read(&region->nr_files),
			   shmdev_region_seq(region),
			   shmdev_region_faults(region),
			   atomic64_read(&region->nr_notifies),
			   atomic64_read(&region->nr_waits));
		if (paid)
			seq_printf(m, "%8u %14llu ",
				   from_kuid(&init_user_ns, payer), charged);
		else
			seq_printf(m, "%8s %14d ", "-", 0);
		seq_printf(m, "%10u ", region->ipc_inum);
		seq_escape(m, region->key.name[0] ? region->key.name : "-",
			   " \t\n\\");
		seq_putc(m, '\n');
	}
	mutex_unlock(&shmdev_regions_lock);
}

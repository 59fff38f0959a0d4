// SPDX-License-Identifier: GPL-2.0
/*
 * shmdev names: which region a name reaches, per IPC namespace;
 * SHMDEV_IOC_OPEN and SHMDEV_IOC_UNLINK, auto-removal, and the listing of
 * /proc/shmdev/regions.
 */

#include <linux/fs_struct.h>
#include <linux/ipc_namespace.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/nsproxy.h>
#include <linux/rhashtable.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "shmdev.h"

/*
 * The name table
 * ==============
 *
 * One hash table holds the named regions of every IPC namespace, keyed by
 * (namespace, name), so a lookup costs the same with 10 regions or
 * 100,000. A task reaches only the names of its own namespace
 * (current->nsproxy->ipc_ns), so containers never see each other's.
 *
 * Each namespace that has names has a struct shmdev_ns, which holds one
 * reference to the namespace: while the table has a key with that
 * namespace's address, the address cannot be reused by another one. The
 * kernel tells nobody when a namespace dies, so a periodic check
 * (shmdev_ns_reap()) looks for namespaces that only the table still holds,
 * which no task can enter any more, and removes their names: a
 * container's regions do not outlive it. Where the module cannot drop a
 * namespace reference (compat.h), names exist in the initial namespace
 * only, and elsewhere OPEN and UNLINK fail with EOPNOTSUPP.
 *
 * Locking and references
 * ======================
 *
 * shmdev_names_lock protects the table, the list of namespaces, each
 * namespace's list of regions and counts, and each region's name fields
 * (@ns, @ns_node, @hash). A named region holds a reference for its name
 * (region.c, "Lifetime"), dropped after the name is removed, outside the
 * lock. Every lookup holds the lock too, so a region removed from the
 * table may be freed at once, without waiting for an RCU grace period.
 *
 * Auto-removal: a region created with SHMDEV_OPEN_AUTOREMOVE loses its
 * name when its file count drops to 0 (a mapping holds its file, so: the
 * last file and mapping). Files are bound to a named region under the lock
 * (shmdev_name_open()); the count's last decrement takes the lock
 * (atomic_dec_and_mutex_lock()), so an OPEN that finds the region has
 * bound its file before, or finds the name gone after.
 *
 * Lock order: shmdev_names_lock, then a region's i_rwsem (a region
 * released under it), invalidate_lock (a created region is sized under
 * it), shmdev_account_lock; i_mmap_rwsem (the listing). Nothing takes
 * shmdev_names_lock under any of these, nor under mmap_lock.
 */

/**
 * struct shmdev_ns - the names of one IPC namespace
 * @ipc_ns: the namespace; the table holds one reference to it
 * @node: in shmdev_namespaces
 * @regions: the named regions of @ipc_ns, oldest first
 */
struct shmdev_ns {
	struct ipc_namespace *ipc_ns;
	struct list_head node;
	struct list_head regions;
};

/* How often namespaces that only the table holds are looked for. */
#define SHMDEV_REAP_INTERVAL	(2 * HZ)

static DEFINE_MUTEX(shmdev_names_lock);
static LIST_HEAD(shmdev_namespaces);
static struct rhashtable shmdev_names;

static const struct rhashtable_params shmdev_names_params = {
	.key_len		= sizeof(struct shmdev_name_key),
	.key_offset		= offsetof(struct shmdev_region, key),
	.head_offset		= offsetof(struct shmdev_region, hash),
	.automatic_shrinking	= true,
};

static void shmdev_ns_reap(struct work_struct *work);
static DECLARE_DELAYED_WORK(shmdev_reap_work, shmdev_ns_reap);

/*
 * Checks a name from userspace and builds its key: 1 to NAME_MAX - 1
 * bytes, NUL-terminated within the array, no '/'.
 */
static int shmdev_name_key(struct shmdev_name_key *key, const char *name,
			   struct ipc_namespace *ipc_ns)
{
	size_t len = strnlen(name, SHMDEV_NAME_MAX);

	if (len == SHMDEV_NAME_MAX)
		return -ENAMETOOLONG;
	if (!len || memchr(name, '/', len))
		return -EINVAL;
	memset(key, 0, sizeof(*key));
	key->ipc_ns = ipc_ns;
	memcpy(key->name, name, len);
	return 0;
}

static struct shmdev_ns *shmdev_ns_find(struct ipc_namespace *ipc_ns)
{
	struct shmdev_ns *ns;

	lockdep_assert_held(&shmdev_names_lock);
	list_for_each_entry(ns, &shmdev_namespaces, node)
		if (ns->ipc_ns == ipc_ns)
			return ns;
	return NULL;
}

static void shmdev_ns_free(struct shmdev_ns *ns)
{
	lockdep_assert_held(&shmdev_names_lock);
	list_del(&ns->node);
	shmdev_ipcns_put(ns->ipc_ns);
	kfree(ns);
}

/*
 * Removes @region's name; returns false if it had none (already removed).
 * The caller then drops the name's reference, after the lock.
 */
static bool shmdev_name_remove(struct shmdev_region *region)
{
	struct shmdev_ns *ns = region->ns;

	lockdep_assert_held(&shmdev_names_lock);
	if (!ns)
		return false;
	rhashtable_remove_fast(&shmdev_names, &region->hash, shmdev_names_params);
	list_del_init(&region->ns_node);
	WRITE_ONCE(region->ns, NULL);
	if (list_empty(&ns->regions))
		shmdev_ns_free(ns);
	return true;
}

/**
 * shmdev_region_bind() - account a new file of a region
 * @region: the region; the caller holds a reference, which the file takes
 *	over
 *
 * Context: For the default region; named regions are bound by
 * shmdev_name_open().
 */
void shmdev_region_bind(struct shmdev_region *region)
{
	atomic_inc(&region->nr_files);
}

/**
 * shmdev_region_unbind() - a file of a region is gone
 * @region: the region; the file's reference is dropped
 *
 * The last file of an auto-removing region removes its name.
 * Context: Process context; may sleep.
 */
void shmdev_region_unbind(struct shmdev_region *region)
{
	bool removed = false;

	if (!(region->flags & SHMDEV_INFO_AUTOREMOVE)) {
		atomic_dec(&region->nr_files);
	} else if (atomic_dec_and_mutex_lock(&region->nr_files, &shmdev_names_lock)) {
		removed = shmdev_name_remove(region);
		mutex_unlock(&shmdev_names_lock);
	}
	if (removed)
		shmdev_region_put(region);
	shmdev_region_put(region);
}

/* Creates the region @key names, sized, and links it; under the lock. */
static struct shmdev_region *shmdev_name_create(const struct shmdev_open *args,
						struct shmdev_name_key *key)
{
	struct shmdev_region *region;
	struct shmdev_ns *ns, *new_ns = NULL;
	u32 flags = 0;
	int err;

	lockdep_assert_held(&shmdev_names_lock);
	ns = shmdev_ns_find(key->ipc_ns);
	if (!ns) {
		new_ns = kzalloc(sizeof(*new_ns), GFP_KERNEL);
		if (!new_ns)
			return ERR_PTR(-ENOMEM);
		new_ns->ipc_ns = key->ipc_ns;
		INIT_LIST_HEAD(&new_ns->regions);
		ns = new_ns;
	}

	if (args->flags & SHMDEV_OPEN_AUTOREMOVE)
		flags |= SHMDEV_INFO_AUTOREMOVE;
	if (args->flags & SHMDEV_OPEN_NOHUGE)
		flags |= SHMDEV_INFO_NOHUGE;
	region = shmdev_region_create(args->mode & ~current_umask(), flags);
	if (IS_ERR(region)) {
		kfree(new_ns);
		return region;
	}
	region->key = *key;
	region->ipc_inum = key->ipc_ns->ns.inum;
	shmdev_region_publish(region);
	/* Charged to the caller; the name does not reach it yet. */
	err = shmdev_region_set_size(region, args->size);
	if (!err)
		err = rhashtable_insert_fast(&shmdev_names, &region->hash,
					     shmdev_names_params);
	if (err) {
		kfree(new_ns);
		shmdev_region_put(region);
		return ERR_PTR(err);
	}
	if (new_ns) {
		shmdev_ipcns_get(key->ipc_ns);
		list_add_tail(&new_ns->node, &shmdev_namespaces);
		/* Not postponed by each new namespace: a no-op if queued. */
		if (key->ipc_ns->ns.inum != PROC_IPC_INIT_INO)
			queue_delayed_work(system_wq, &shmdev_reap_work,
					   SHMDEV_REAP_INTERVAL);
	}
	region->ns = ns;
	list_add_tail(&region->ns_node, &ns->regions);
	/* The caller's reference is the name's; the file takes another. */
	return shmdev_region_get(region);
}

/**
 * shmdev_name_open() - find or create the region a name reaches
 * @args: the argument of SHMDEV_IOC_OPEN, copied in; flags and reserved
 *	fields already checked
 * @created: set when this call created the region
 *
 * Return: the region, with a reference and a file count for the file the
 * caller makes (which unbinds it with shmdev_region_unbind()), or an
 * ERR_PTR(); see Documentation/userspace-api/shmdev.rst for each errno.
 * Context: Process context; may sleep.
 */
struct shmdev_region *shmdev_name_open(const struct shmdev_open *args,
				       bool *created)
{
	struct ipc_namespace *ipc_ns = current->nsproxy->ipc_ns;
	bool create = args->flags & SHMDEV_OPEN_CREATE;
	struct shmdev_region *region;
	struct shmdev_name_key key;
	int err;

	err = shmdev_name_key(&key, args->name, ipc_ns);
	if (err)
		return ERR_PTR(err);
	if (!shmdev_ipcns_supported(ipc_ns))
		return ERR_PTR(-EOPNOTSUPP);

	mutex_lock(&shmdev_names_lock);
	region = rhashtable_lookup_fast(&shmdev_names, &key, shmdev_names_params);
	if (region) {
		if (create && (args->flags & SHMDEV_OPEN_EXCL))
			err = -EEXIST;
		else
			err = shmdev_may_open(region,
					      !(args->flags & SHMDEV_OPEN_RDONLY));
		if (!err)
			shmdev_region_get(region);
	} else if (create && args->size > shmdev_max_size) {
		err = -EFBIG;
	} else if (create) {
		region = shmdev_name_create(args, &key);
		err = PTR_ERR_OR_ZERO(region);
		*created = !err;
	} else {
		err = -ENOENT;
	}
	if (!err)
		atomic_inc(&region->nr_files);
	mutex_unlock(&shmdev_names_lock);
	return err ? ERR_PTR(err) : region;
}

/**
 * shmdev_name_abort() - undo the creation of a named region
 * @region: a region that shmdev_name_open() created, and whose file could
 *	not be made
 *
 * Removes the name, so that a failed OPEN leaves nothing behind (another
 * OPEN may have found the region meanwhile; it keeps its file, as after an
 * UNLINK). The caller then unbinds its file count and reference.
 * Context: Process context; may sleep.
 */
void shmdev_name_abort(struct shmdev_region *region)
{
	bool removed;

	mutex_lock(&shmdev_names_lock);
	removed = shmdev_name_remove(region);
	mutex_unlock(&shmdev_names_lock);
	if (removed)
		shmdev_region_put(region);
}

/**
 * shmdev_name_unlink() - remove a name
 * @args: the argument of SHMDEV_IOC_UNLINK, copied in
 *
 * The region lives on while a file or mapping holds it.
 *
 * Return: 0; -EINVAL or -ENAMETOOLONG for a bad name; -EOPNOTSUPP outside
 * the namespaces names work in; -ENOENT when the caller's namespace has no
 * such name; -EPERM when the caller is neither the region's owner nor its
 * creator and lacks CAP_SYS_ADMIN.
 * Context: Process context; may sleep.
 */
int shmdev_name_unlink(const struct shmdev_name *args)
{
	struct ipc_namespace *ipc_ns = current->nsproxy->ipc_ns;
	struct shmdev_region *region;
	struct shmdev_name_key key;
	int err;

	err = shmdev_name_key(&key, args->name, ipc_ns);
	if (err)
		return err;
	if (!shmdev_ipcns_supported(ipc_ns))
		return -EOPNOTSUPP;

	mutex_lock(&shmdev_names_lock);
	region = rhashtable_lookup_fast(&shmdev_names, &key, shmdev_names_params);
	if (!region)
		err = -ENOENT;
	else
		err = shmdev_may_unlink(region, ipc_ns);
	if (!err)
		shmdev_name_remove(region);
	mutex_unlock(&shmdev_names_lock);
	if (!err)
		shmdev_region_put(region);
	return err;
}

/* Removes every name of @ns, and @ns; the regions go on @dead. */
static void shmdev_ns_clear(struct shmdev_ns *ns, struct list_head *dead)
{
	struct shmdev_region *region, *next;

	lockdep_assert_held(&shmdev_names_lock);
	list_for_each_entry_safe(region, next, &ns->regions, ns_node) {
		rhashtable_remove_fast(&shmdev_names, &region->hash,
				       shmdev_names_params);
		WRITE_ONCE(region->ns, NULL);
		list_move_tail(&region->ns_node, dead);
	}
	shmdev_ns_free(ns);
}

/* Drops the names' references of the regions on @dead. */
static void shmdev_put_dead(struct list_head *dead)
{
	struct shmdev_region *region, *next;

	list_for_each_entry_safe(region, next, dead, ns_node) {
		list_del_init(&region->ns_node);
		shmdev_region_put(region);
		cond_resched();
	}
}

/*
 * The periodic check: a namespace that only the table holds is dead;
 * remove its names. Runs again while namespaces other than the initial one
 * have names.
 */
static void shmdev_ns_reap(struct work_struct *work)
{
	struct shmdev_ns *ns, *next;
	bool again = false;
	LIST_HEAD(dead);

	mutex_lock(&shmdev_names_lock);
	list_for_each_entry_safe(ns, next, &shmdev_namespaces, node) {
		if (ns->ipc_ns->ns.inum == PROC_IPC_INIT_INO)
			continue;
		if (shmdev_ipcns_orphaned(ns->ipc_ns))
			shmdev_ns_clear(ns, &dead);
		else
			again = true;
	}
	mutex_unlock(&shmdev_names_lock);
	shmdev_put_dead(&dead);
	if (again)
		schedule_delayed_work(&shmdev_reap_work, SHMDEV_REAP_INTERVAL);
}

/**
 * shmdev_names_show() - the lines of /proc/shmdev/regions
 * @m: the seq_file being read
 * @def: the default region, listed first in every namespace
 *
 * Lists the named regions of the reader's IPC namespace, oldest first.
 * Context: Process context, in a read() of the file.
 */
void shmdev_names_show(struct seq_file *m, struct shmdev_region *def)
{
	struct ipc_namespace *ipc_ns = current->nsproxy->ipc_ns;
	struct shmdev_region *region;
	struct shmdev_ns *ns;

	seq_puts(m, "id name uid gid mode size pages mappings files seq charged_uid charged flags\n");
	shmdev_region_list_line(m, def);
	mutex_lock(&shmdev_names_lock);
	ns = shmdev_ns_find(ipc_ns);
	if (ns)
		list_for_each_entry(region, &ns->regions, ns_node)
			shmdev_region_list_line(m, region);
	mutex_unlock(&shmdev_names_lock);
}

/**
 * shmdev_names_init() - set up the name table
 *
 * Return: 0 or a negative errno.
 * Context: Module load.
 */
int shmdev_names_init(void)
{
	return rhashtable_init(&shmdev_names, &shmdev_names_params);
}

/**
 * shmdev_names_exit() - remove every name and free the table
 *
 * Context: Module unload: no file is left, so each named region's name
 * holds its last reference, and this frees it.
 */
void shmdev_names_exit(void)
{
	struct shmdev_ns *ns, *next;
	LIST_HEAD(dead);

	cancel_delayed_work_sync(&shmdev_reap_work);
	mutex_lock(&shmdev_names_lock);
	list_for_each_entry_safe(ns, next, &shmdev_namespaces, node)
		shmdev_ns_clear(ns, &dead);
	mutex_unlock(&shmdev_names_lock);
	shmdev_put_dead(&dead);
	rhashtable_destroy(&shmdev_names);
}

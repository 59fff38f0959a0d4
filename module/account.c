// SPDX-License-Identifier: GPL-2.0
/*
 * shmdev accounting: who may open and unlink a region, and the
 * locked-memory charge of each region's reserved size.
 */

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/ipc_namespace.h>
#include <linux/list.h>
#include <linux/math.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "compat.h"
#include "shmdev.h"

/*
 * Permissions
 * ===========
 *
 * Opening a named region is checked as opening a file is: the caller's
 * fsuid and groups against the region's owner, group and mode, with
 * CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH as for a file. Only the check
 * at open time counts: an open file is a capability, as for SysV shmat()
 * and memfd. Removing a name needs the owner or the creator, or
 * CAP_SYS_ADMIN in the user namespace that owns the IPC namespace, as
 * IPC_RMID does.
 *
 * The charge
 * ==========
 *
 * Region pages are unevictable, never swapped, and outlive the processes
 * that made them, so each region's size, rounded up to pages, is reserved
 * when it is set and charged to a user: the user of the caller who set it
 * last (SET_SIZE, ftruncate(), SHMDEV_IOC_OPEN with a size), as SysV
 * SHM_LOCK charges the locker. Only that caller's RLIMIT_MEMLOCK can be
 * checked, so that caller pays: a new payer is charged the whole new size
 * and the old one is refunded; the same payer is charged or refunded the
 * difference.
 *
 * The ledger is the kernel's per-user user_struct->locked_vm, the one
 * io_uring charges its registered buffers to (the kernel exports neither
 * user_shm_lock() nor the rlimit ucounts helpers): it is per uid, across
 * processes, and outlives them as a region does. Growth fails with ENOMEM
 * when it would take the user's total above the caller's RLIMIT_MEMLOCK,
 * unless the caller has CAP_IPC_LOCK (in the initial user namespace: a
 * container's root does not bypass a machine-wide limit); the pages are
 * counted either way. All regions together may reserve at most
 * max_total_size bytes, for everyone (ENOSPC, as SysV's SHMALL).
 *
 * struct shmdev_user records, per charged user, what shmdev charged, so
 * that every refund gives back exactly what was charged, to whom, and
 * debugfs can show it (the kernel shows locked_vm nowhere).
 *
 * Locking: shmdev_account_lock protects the list of users, each user's
 * counts, shmdev_reserved, and each region's @payer and @charged, which
 * change only with the region's invalidate_lock also held exclusive (its
 * size and its charge change together).
 */

/**
 * struct shmdev_user - a user charged for region memory
 * @user: the user; a reference, taken with get_uid()
 * @node: in shmdev_users
 * @pages: pages charged to @user by shmdev, over all regions
 * @nr_regions: regions whose payer this is; at 0 the entry is freed
 */
struct shmdev_user {
	struct user_struct *user;
	struct list_head node;
	unsigned long pages;
	unsigned int nr_regions;
};

static DEFINE_MUTEX(shmdev_account_lock);
static LIST_HEAD(shmdev_users);
/* Pages reserved by all regions together. */
static unsigned long shmdev_reserved;

/**
 * shmdev_may_open() - may the caller open a region
 * @region: the region
 * @write: for writing too
 *
 * Return: 0, or -EACCES (or another errno of inode_permission()).
 */
int shmdev_may_open(struct shmdev_region *region, bool write)
{
	return inode_permission(shmdev_nop_idmap, region->inode,
				MAY_READ | (write ? MAY_WRITE : 0));
}

/**
 * shmdev_may_unlink() - may the caller remove a region's name
 * @region: the region
 * @ipc_ns: the IPC namespace the name lives in
 *
 * Return: 0, or -EPERM.
 */
int shmdev_may_unlink(struct shmdev_region *region,
		      struct ipc_namespace *ipc_ns)
{
	kuid_t euid = current_euid();

	if (uid_eq(euid, region->inode->i_uid) || uid_eq(euid, region->cuid))
		return 0;
	return ns_capable(ipc_ns->user_ns, CAP_SYS_ADMIN) ? 0 : -EPERM;
}

/* The entry of @user, created if needed, with one more region. */
static struct shmdev_user *shmdev_user_get(struct user_struct *user)
{
	struct shmdev_user *su;

	lockdep_assert_held(&shmdev_account_lock);
	list_for_each_entry(su, &shmdev_users, node) {
		if (su->user == user) {
			su->nr_regions++;
			return su;
		}
	}
	su = kzalloc(sizeof(*su), GFP_KERNEL);
	if (!su)
		return NULL;
	su->user = get_uid(user);
	su->nr_regions = 1;
	list_add_tail(&su->node, &shmdev_users);
	return su;
}

static void shmdev_user_put(struct shmdev_user *su)
{
	lockdep_assert_held(&shmdev_account_lock);
	if (--su->nr_regions)
		return;
	WARN_ON(su->pages);
	list_del(&su->node);
	free_uid(su->user);
	kfree(su);
}

/*
 * Adds @pages to @user's locked memory, within the caller's
 * RLIMIT_MEMLOCK unless the caller has CAP_IPC_LOCK. Other subsystems
 * (io_uring) update the counter without our lock, hence the
 * compare-and-exchange.
 */
static int shmdev_lock_pages(struct user_struct *user, unsigned long pages)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	long cur = atomic_long_read(&user->locked_vm);
	bool bypass = false;
	long new;

	do {
		new = cur + pages;
		if (new > limit && !bypass) {
			if (!capable(CAP_IPC_LOCK))
				return -ENOMEM;
			bypass = true;
		}
	} while (!atomic_long_try_cmpxchg(&user->locked_vm, &cur, new));
	return 0;
}

static void shmdev_refund(struct shmdev_user *su, unsigned long pages)
{
	lockdep_assert_held(&shmdev_account_lock);
	atomic_long_sub(pages, &su->user->locked_vm);
	su->pages -= pages;
}

/**
 * shmdev_charge_resize() - charge the caller for a region's new size
 * @region: the region
 * @size: its new size in bytes
 *
 * Return: 0; -ENOSPC when all regions together would reserve more than
 * max_total_size; -ENOMEM when the caller's user would exceed the
 * caller's RLIMIT_MEMLOCK, or on allocation failure. Nothing changed on
 * error.
 * Context: Process context; the region's invalidate_lock is held
 * exclusive.
 */
int shmdev_charge_resize(struct shmdev_region *region, u64 size)
{
	unsigned long pages = DIV_ROUND_UP_ULL(size, PAGE_SIZE);
	unsigned long max = READ_ONCE(shmdev_max_total_size) >> PAGE_SHIFT;
	struct user_struct *user = current_user();
	struct shmdev_user *payer, *new = NULL;
	unsigned long charged, total;
	bool same;
	int err = 0;

	lockdep_assert_held_write(&region->inode->i_mapping->invalidate_lock);
	mutex_lock(&shmdev_account_lock);
	payer = region->payer;
	charged = region->charged;
	same = payer && payer->user == user;
	total = shmdev_reserved - charged + pages;
	if (pages > charged && total > max) {
		err = -ENOSPC;
		goto out;
	}

	if (same && pages > charged) {
		err = shmdev_lock_pages(user, pages - charged);
	} else if (!same && pages) {
		new = shmdev_user_get(user);
		if (!new)
			err = -ENOMEM;
		else
			err = shmdev_lock_pages(user, pages);
		if (err && new)
			shmdev_user_put(new);
	}
	if (err)
		goto out;

	if (same && pages) {
		if (pages < charged)
			shmdev_refund(payer, charged - pages);
		else
			payer->pages += pages - charged;
	} else {
		if (payer) {
			shmdev_refund(payer, charged);
			shmdev_user_put(payer);
		}
		if (new)
			new->pages += pages;
		region->payer = new;
	}
	region->charged = pages;
	shmdev_reserved = total;
out:
	mutex_unlock(&shmdev_account_lock);
	return err;
}

/**
 * shmdev_charge_release() - give back a dead region's charge
 * @region: the region, which nothing can reach any more
 *
 * Context: Process context; may sleep.
 */
void shmdev_charge_release(struct shmdev_region *region)
{
	mutex_lock(&shmdev_account_lock);
	if (region->payer) {
		shmdev_refund(region->payer, region->charged);
		shmdev_user_put(region->payer);
		region->payer = NULL;
	}
	shmdev_reserved -= region->charged;
	region->charged = 0;
	mutex_unlock(&shmdev_account_lock);
}

/**
 * shmdev_charge_get() - who is charged for a region, and how much
 * @region: the region
 * @uid: set to the charged user
 * @bytes: set to the bytes charged
 *
 * Return: false when nothing is charged (@uid and @bytes untouched).
 * Context: Process context; may sleep.
 */
bool shmdev_charge_get(struct shmdev_region *region, kuid_t *uid, u64 *bytes)
{
	bool paid;

	mutex_lock(&shmdev_account_lock);
	paid = region->payer;
	if (paid) {
		*uid = region->payer->user->uid;
		*bytes = (u64)region->charged << PAGE_SHIFT;
	}
	mutex_unlock(&shmdev_account_lock);
	return paid;
}

/**
 * shmdev_users_show() - print the table of debugfs shmdev/users
 * @m: the seq_file being read
 *
 * One line per charged user: uid, regions charged to it, bytes shmdev
 * charged to it, and the kernel's locked_vm of the user in pages (which
 * counts other subsystems' pins too).
 */
void shmdev_users_show(struct seq_file *m)
{
	struct shmdev_user *su;

	seq_puts(m, "uid regions reserved_bytes locked_vm_pages\n");
	mutex_lock(&shmdev_account_lock);
	list_for_each_entry(su, &shmdev_users, node)
		seq_printf(m, "%u %u %llu %ld\n",
			   from_kuid(&init_user_ns, su->user->uid),
			   su->nr_regions, (u64)su->pages << PAGE_SHIFT,
			   atomic_long_read(&su->user->locked_vm));
	mutex_unlock(&shmdev_account_lock);
}

/**
 * shmdev_account_init() - default of the module-wide limit
 *
 * Return: 0.
 * Context: Module load.
 */
int shmdev_account_init(void)
{
	if (!shmdev_max_total_size)
		shmdev_max_total_size = (u64)totalram_pages() << PAGE_SHIFT;
	return 0;
}

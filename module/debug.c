// SPDX-License-Identifier: GPL-2.0
/*
 * shmdev's windows: the listing every user may read, the debugfs files
 * for people studying it, and the tracepoints' definitions.
 *
 *   /proc/shmdev/regions		the regions of the reader's IPC
 *					namespace, in the manner of
 *					/proc/sysvipc/shm
 *   /sys/kernel/debug/shmdev/regions	one line per region, every one
 *   /sys/kernel/debug/shmdev/stats	module-wide event counters
 *   /sys/kernel/debug/shmdev/users	the charge of each user
 *
 * The /proc file is an ABI (Documentation/userspace-api/shmdev.rst);
 * debugfs is root's alone and not one. The tracepoints are described in
 * shmdev_trace.h, the files in Documentation/mm/shmdev-internals.rst.
 */

#include <linux/debugfs.h>
#include <linux/percpu.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>

#include "shmdev.h"

#define CREATE_TRACE_POINTS
#include "shmdev_trace.h"

DEFINE_PER_CPU(struct shmdev_stats, shmdev_stats);

static const char *const shmdev_stat_names[SHMDEV_NR_STATS] = {
	[SHMDEV_STAT_PAGES_ALLOCATED]	= "pages_allocated",
	[SHMDEV_STAT_PAGES_FREED]	= "pages_freed",
	[SHMDEV_STAT_HUGE_ALLOCATED]	= "huge_allocated",
	[SHMDEV_STAT_HUGE_FALLBACKS]	= "huge_fallbacks",
	[SHMDEV_STAT_HUGE_COPIED]	= "huge_copied",
	[SHMDEV_STAT_FAULTS]		= "faults",
	[SHMDEV_STAT_SIGBUS]		= "sigbus",
	[SHMDEV_STAT_RESIZES]		= "resizes",
	[SHMDEV_STAT_NOTIFIES]		= "notifies",
	[SHMDEV_STAT_WAITS]		= "waits",
	[SHMDEV_STAT_WAKES]		= "wakes",
	[SHMDEV_STAT_OPENS]		= "opens",
	[SHMDEV_STAT_RELEASES]		= "releases",
	[SHMDEV_STAT_IOCTLS]		= "ioctls",
	[SHMDEV_STAT_MMAPS]		= "mmaps",
	[SHMDEV_STAT_READS]		= "reads",
	[SHMDEV_STAT_WRITES]		= "writes",
	[SHMDEV_STAT_SEEKS]		= "seeks",
	[SHMDEV_STAT_POLLS]		= "polls",
};

static struct dentry *shmdev_debugfs_dir;

static int regions_show(struct seq_file *m, void *unused)
{
	shmdev_regions_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(regions);

static int users_show(struct seq_file *m, void *unused)
{
	shmdev_users_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(users);

/* Sums every CPU's counts: exact for the events that have completed. */
static int stats_show(struct seq_file *m, void *unused)
{
	int stat, cpu;

	for (stat = 0; stat < SHMDEV_NR_STATS; stat++) {
		u64 sum = 0;

		for_each_possible_cpu(cpu)
			sum += per_cpu(shmdev_stats.count[stat], cpu);
		seq_printf(m, "%-16s %llu\n", shmdev_stat_names[stat], sum);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

/**
 * shmdev_debugfs_init() - create the debugfs files
 *
 * A failure is not an error: the module works without them.
 */
void shmdev_debugfs_init(void)
{
	shmdev_debugfs_dir = debugfs_create_dir("shmdev", NULL);
	debugfs_create_file("regions", 0400, shmdev_debugfs_dir, NULL,
			    &regions_fops);
	debugfs_create_file("stats", 0400, shmdev_debugfs_dir, NULL,
			    &stats_fops);
	debugfs_create_file("users", 0400, shmdev_debugfs_dir, NULL,
			    &users_fops);
}

/**
 * shmdev_debugfs_exit() - remove the debugfs files
 *
 * Waits for readers that are inside them to leave.
 */
void shmdev_debugfs_exit(void)
{
	debugfs_remove(shmdev_debugfs_dir);
}

static int shmdev_proc_regions_show(struct seq_file *m, void *unused)
{
	shmdev_names_show(m, shmdev_default_region);
	return 0;
}

/**
 * shmdev_proc_init() - create /proc/shmdev/regions
 *
 * Return: 0, or -ENOMEM.
 */
int shmdev_proc_init(void)
{
	struct proc_dir_entry *dir = proc_mkdir("shmdev", NULL);

	if (!dir)
		return -ENOMEM;
	if (!proc_create_single("regions", 0444, dir, shmdev_proc_regions_show)) {
		proc_remove(dir);
		return -ENOMEM;
	}
	return 0;
}

/**
 * shmdev_proc_exit() - remove /proc/shmdev
 *
 * Waits for readers that are inside it to leave.
 */
void shmdev_proc_exit(void)
{
	remove_proc_subtree("shmdev", NULL);
}

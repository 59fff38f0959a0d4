// SPDX-License-Identifier: GPL-2.0
/*
 * shmdev notification: a 64-bit sequence and a wait queue per region.
 *
 * NOTIFY increments the sequence and wakes every waiter. WAIT sleeps
 * until the sequence differs from the one the caller last saw. poll
 * reports a file readable while the sequence differs from the one that
 * file last acknowledged.
 *
 * No wake-up is lost, and a NOTIFY that nobody waits for takes no lock.
 * NOTIFY increments the sequence with a fully ordered atomic, then looks
 * at the wait queue, and takes its lock to wake only when it is not
 * empty. A waiter puts itself on the queue, then a full barrier
 * (set_current_state() in prepare_to_wait(); smp_mb() after poll_wait()),
 * then reads the sequence. Of the two, a store and then a load on each
 * side with a full barrier between, at least one sees the other's store:
 * either the waiter reads the new sequence and does not sleep, or NOTIFY
 * sees the waiter on the queue and wakes it (the pattern of
 * wq_has_sleeper()).
 *
 * WAIT sleeps until a deadline on CLOCK_MONOTONIC, fixed when the call
 * begins. A signal ends the sleep with -ERESTARTSYS: the kernel restarts
 * the call after a stop, the freezer, a ptrace stop or an SA_RESTART
 * handler, and returns EINTR otherwise. So that the restarted call keeps
 * the deadline, the ioctl first rewrites a relative timeout in the
 * caller's argument as the absolute deadline (file.c).
 *
 * Each file's acknowledged sequence (struct shmdev_file.acked_seq) is
 * written without a lock, by WAIT and NOTIFY calls on that file that may
 * race. shmdev_file_ack() moves it with a compare-and-exchange, from the
 * value it read to a later one only: a call that returns an older sequence
 * than a racing call never moves it back, which would report a file ready
 * with nothing new, and a call never acknowledges a sequence it did not
 * return. Callers acknowledge only once the sequence was copied out, so
 * that a call failing with EFAULT acknowledges nothing. No wake-up is
 * needed: acknowledging only ever makes a file less ready.
 */

#include <linux/atomic.h>
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/lockdep.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/wait.h>

#include "shmdev.h"
#include "shmdev_trace.h"

#define SHMDEV_POLL_EVENTS	(EPOLLIN | EPOLLRDNORM | EPOLLPRI)

/**
 * shmdev_region_seq() - the current notification sequence of a region
 * @region: the region
 *
 * Return: the sequence; it may change as soon as it is read.
 */
u64 shmdev_region_seq(struct shmdev_region *region)
{
	return atomic64_read(&region->seq);
}

/* Entries on the wait queue, all of which a NOTIFY wakes; for tracing. */
static unsigned int shmdev_nr_waiters(struct shmdev_region *region)
{
	struct wait_queue_entry *entry;
	unsigned int n = 0;

	lockdep_assert_held(&region->wq.lock);
	list_for_each_entry(entry, &region->wq.head, entry)
		n++;
	return n;
}

/**
 * shmdev_region_notify() - increment the sequence and wake every waiter
 * @region: the region
 *
 * Return: the new sequence.
 * Context: Any context that may take a spinlock with interrupts disabled.
 */
u64 shmdev_region_notify(struct shmdev_region *region)
{
	unsigned long flags;
	u64 seq;

	seq = atomic64_inc_return(&region->seq);
	/*
	 * The increment is fully ordered, so the queue is read after the new
	 * sequence is visible: pairs with the barrier a waiter has between
	 * queueing itself and reading the sequence (top of this file).
	 */
	if (waitqueue_active(&region->wq)) {
		spin_lock_irqsave(&region->wq.lock, flags);
		if (trace_shmdev_notify_enabled())
			trace_shmdev_notify(region->id, seq, shmdev_nr_waiters(region));
		/* Every waiter: WAIT sleeps non-exclusive, and so do pollers. */
		wake_up_locked_poll(&region->wq, SHMDEV_POLL_EVENTS);
		spin_unlock_irqrestore(&region->wq.lock, flags);
	} else {
		trace_shmdev_notify(region->id, seq, 0);
	}

	atomic64_inc(&region->nr_notifies);
	shmdev_count(SHMDEV_STAT_NOTIFIES);
	return seq;
}

/**
 * shmdev_file_ack() - acknowledge a sequence for a file
 * @acked_seq: the sequence the file last acknowledged
 * @seq: a sequence of the file's region that a call on the file has just
 *	returned to userspace
 *
 * Moves @acked_seq forward to @seq, or leaves it alone if it already is
 * @seq or a later sequence. Sequences only grow, and by far less than
 * 2^63 in a region's lifetime, so the signed difference orders them.
 *
 * Context: Any context.
 */
void shmdev_file_ack(atomic64_t *acked_seq, u64 seq)
{
	s64 old = atomic64_read(acked_seq);

	do {
		if ((s64)(seq - (u64)old) <= 0)
			return;
	} while (!atomic64_try_cmpxchg(acked_seq, &old, seq));
}

static bool shmdev_seq_moved(struct shmdev_region *region, u64 seen)
{
	return atomic64_read(&region->seq) != seen;
}

/*
 * Sleeps until the sequence moves from @seen, @deadline passes (NULL:
 * never) or a signal arrives.
 */
static int shmdev_wait_moved(struct shmdev_region *region, u64 seen,
			     const ktime_t *deadline)
{
	DEFINE_WAIT(wait);
	ktime_t expires;
	int ret;

	for (;;) {
		prepare_to_wait(&region->wq, &wait, TASK_INTERRUPTIBLE);
		if (shmdev_seq_moved(region, seen)) {
			ret = 0;
			break;
		}
		if (signal_pending(current)) {
			ret = -ERESTARTSYS;
			break;
		}
		if (!deadline) {
			schedule();
			continue;
		}
		/* Returns 0 once the deadline passed; it may modify expires. */
		expires = *deadline;
		if (!schedule_hrtimeout_range(&expires, current->timer_slack_ns,
					      HRTIMER_MODE_ABS)) {
			ret = shmdev_seq_moved(region, seen) ? 0 : -ETIMEDOUT;
			break;
		}
	}
	finish_wait(&region->wq, &wait);
	return ret;
}

/**
 * shmdev_region_wait() - wait for the sequence to move
 * @region: the region
 * @seq: in: the sequence the caller last saw; out, on success: the
 *	current sequence
 * @deadline: CLOCK_MONOTONIC time at which to give up; NULL waits for
 *	ever. A deadline already past makes it a test that does not sleep.
 *
 * Returns at once if the sequence already differs from @seq.
 *
 * Return: 0 when the sequence differs from @seq; -ETIMEDOUT when the
 * deadline passed first; -ERESTARTSYS when a signal arrived first.
 * Context: Process context; sleeps.
 */
int shmdev_region_wait(struct shmdev_region *region, u64 *seq,
		       const ktime_t *deadline)
{
	u64 seen = *seq;
	u64 start = 0;
	int ret;

	atomic64_inc(&region->nr_waits);
	shmdev_count(SHMDEV_STAT_WAITS);
	if (trace_shmdev_wait_enabled())
		start = ktime_get_ns();

	if (shmdev_seq_moved(region, seen))
		ret = 0;
	else if (deadline && ktime_compare(*deadline, ktime_get()) <= 0)
		ret = -ETIMEDOUT;
	else
		ret = shmdev_wait_moved(region, seen, deadline);
	if (!ret)
		*seq = shmdev_region_seq(region);
	if (trace_shmdev_wait_enabled())
		trace_shmdev_wait(region->id, ret, start ? ktime_get_ns() - start : 0);
	return ret;
}

/**
 * shmdev_region_poll() - poll state of a file bound to a region
 * @region: the region
 * @file: the file being polled
 * @acked_seq: the sequence @file last acknowledged
 * @wait: the poll table
 *
 * Return: EPOLLIN | EPOLLRDNORM | EPOLLPRI when the region's sequence
 * differs from @acked_seq, else 0.
 */
__poll_t shmdev_region_poll(struct shmdev_region *region, struct file *file,
			    atomic64_t *acked_seq, poll_table *wait)
{
	poll_wait(file, &region->wq, wait);
	/*
	 * Queued, then read the sequence: pairs with the fully ordered
	 * increment in shmdev_region_notify() (top of this file).
	 */
	smp_mb();
	return shmdev_seq_moved(region, atomic64_read(acked_seq)) ?
	       SHMDEV_POLL_EVENTS : 0;
}

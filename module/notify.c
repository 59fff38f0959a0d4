// SPDX-License-Identifier: GPL-2.0
/*
 * shmdev notification: a 64-bit sequence and a wait queue per region.
 *
 * NOTIFY increments the sequence and wakes every waiter. WAIT sleeps
 * until the sequence differs from the one the caller last saw. poll
 * reports a file readable while the sequence differs from the one that
 * file last acknowledged.
 *
 * No wake-up is lost: the sequence only changes with the wait queue's lock
 * held, and the wake-up happens under that same lock. A waiter puts itself
 * on the queue (taking the lock) before it reads the sequence, so a NOTIFY
 * either comes before that read, which then sees the new value, or after
 * the waiter is on the queue, which the wake-up then finds. poll relies on
 * the same order: poll_wait() queues the poller (under the lock) before
 * shmdev_region_poll() reads the sequence, as fs/eventfd.c explains.
 *
 * The sequence is an atomic64_t only so that readers that do not take the
 * lock never see a torn value on 32-bit machines.
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

	spin_lock_irqsave(&region->wq.lock, flags);
	seq = atomic64_inc_return(&region->seq);
	if (trace_shmdev_notify_enabled())
		trace_shmdev_notify(region->id, seq, shmdev_nr_waiters(region));
	/* Every waiter: WAIT sleeps non-exclusive, and so do pollers. */
	wake_up_locked_poll(&region->wq, SHMDEV_POLL_EVENTS);
	spin_unlock_irqrestore(&region->wq.lock, flags);

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

/**
 * shmdev_region_wait() - wait for the sequence to move
 * @region: the region
 * @seq: in: the sequence the caller last saw; out, on success: the
 *	current sequence
 * @timeout_ns: relative timeout; negative: none, 0: do not block
 *
 * Returns at once if the sequence already differs from @seq. The wait is
 * interruptible, hence also killable.
 *
 * Return: 0 when the sequence differs from @seq; -ETIMEDOUT when the
 * timeout expired first; -EINTR when a signal arrived first (the call is
 * not restarted, whatever SA_RESTART says, since the time already waited
 * would be lost).
 * Context: Process context; sleeps.
 */
int shmdev_region_wait(struct shmdev_region *region, u64 *seq, s64 timeout_ns)
{
	u64 seen = *seq;
	u64 start = 0;
	int ret;

	atomic64_inc(&region->nr_waits);
	shmdev_count(SHMDEV_STAT_WAITS);
	if (trace_shmdev_wait_enabled())
		start = ktime_get_ns();

	if (timeout_ns == 0)
		ret = shmdev_seq_moved(region, seen) ? 0 : -ETIME;
	else if (timeout_ns < 0)
		ret = wait_event_interruptible(region->wq,
					       shmdev_seq_moved(region, seen));
	else
		ret = wait_event_interruptible_hrtimeout(region->wq,
							 shmdev_seq_moved(region, seen),
							 ns_to_ktime(timeout_ns));
	switch (ret) {
	case 0:
		*seq = shmdev_region_seq(region);
		break;
	case -ETIME:
		ret = -ETIMEDOUT;
		break;
	default:
		ret = -EINTR;
		break;
	}
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
	/* Queue first, then read the sequence: see the top of this file. */
	poll_wait(file, &region->wq, wait);
	return shmdev_seq_moved(region, atomic64_read(acked_seq)) ?
	       SHMDEV_POLL_EVENTS : 0;
}

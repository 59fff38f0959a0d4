// SPDX-License-Identifier: GPL-2.0
/*
 * shmdev notification: a 64-bit sequence and a wait queue per region.
 *
 * NOTIFY increments the sequence and wakes every waiter. WAIT sleeps
 * until the sequence differs from the one the caller last saw. poll
 * reports a file readable while the sequence differs from the one that
 * file last acknowledged. WAKE wakes every waiter and leaves the sequence
 * alone.
 *
 * The sequence and the waiting word live in the region's control page
 * (struct shmdev_ctrl, ctrl.c), which userspace may map. The kernel reads
 * and increments ctrl->seq as an atomic64_t; a notifier in userspace may
 * increment it in place with an atomic fetch-and-add instead of calling
 * NOTIFY, and then calls WAKE only when ctrl->waiting is set. The kernel
 * writes ctrl->waiting only under the wait queue's lock (wq.lock):
 *
 *  - a waiter (WAIT) queues itself, sets waiting to 1 and its task state,
 *    all under wq.lock, then a full barrier, then reads the sequence, and
 *    sleeps only if it is unchanged; a poller queues itself (poll_wait()),
 *    sets waiting to 1 under wq.lock if the queue is not empty, then a
 *    full barrier, then reads the sequence;
 *  - every wake-up (NOTIFY, WAKE) takes wq.lock, wakes every entry, and
 *    clears waiting to 0 if the queue is then empty; a WAIT that returns
 *    leaves the queue under wq.lock and clears waiting the same way.
 *
 * No wake-up is lost.
 *
 * A notifier in userspace stores the new sequence (a sequentially
 * consistent fetch-and-add), then loads waiting. A waiter stores
 * waiting = 1, full barrier, then loads the sequence. Of two such
 * store-then-load sequences with a full barrier in each, at least one
 * load sees the other side's store (Dekker). Take the waiter's last
 * preparation before it sleeps:
 *  - the notifier loads a waiting older than the waiter's store: then the
 *    waiter's load sees the new sequence and it does not sleep;
 *  - it loads the waiter's 1 (or a later 1): it calls WAKE, which takes
 *    wq.lock after the waiter's section under wq.lock, where it was
 *    queued with its task state set, so WAKE wakes it;
 *  - it loads a 0 stored after the waiter's 1: that 0 was stored under
 *    wq.lock with the queue empty, after the waiter queued itself, so the
 *    waiter had been taken off the queue, which only a wake-up or its own
 *    return does; either way it does not stay asleep.
 * A stale 1 (everybody already woken, or gone by timeout or signal with a
 * poller left behind) only costs the notifier one WAKE that finds nobody,
 * and that WAKE clears it. If the notifier's WAKE finds the queue empty
 * because the waiter has not queued itself yet, the waiter's section under
 * wq.lock comes after WAKE's, so it reads the new sequence.
 *
 * NOTIFY increments the sequence with a fully ordered atomic, then looks
 * at the wait queue and the waiting word, and takes wq.lock only when the
 * queue is not empty or waiting is set: the same argument with the queue
 * itself as the waiter's store (the pattern of wq_has_sleeper()). A NOTIFY
 * nobody waits for takes no lock.
 *
 * Userspace holding the page writable may store anything into it. The
 * kernel only ever compares the sequence for equality, adds to it and
 * copies it out, and treats waiting as a hint: a waiting forced to 1 costs
 * wake-ups that find nobody, a waiting forced to 0 or a sequence moved
 * back to a value a waiter saw loses that writer's own wake-ups to
 * in-place notifiers only (NOTIFY and WAKE always look at the queue
 * itself). Only a file open for writing maps the page writable, and such
 * a file can change the region's data anyway.
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
 * needed: acknowledging only ever makes a file less ready. An increment
 * in place acknowledges nothing for any file: every file of the region,
 * the notifier's included, then polls readable until a WAIT or NOTIFY
 * through it acknowledges the new sequence.
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

/* The sequence in the control page, as the kernel reads and moves it. */
static atomic64_t *shmdev_seq(struct shmdev_region *region)
{
	return (atomic64_t *)&region->ctrl->seq;
}

/**
 * shmdev_region_seq() - the current notification sequence of a region
 * @region: the region
 *
 * Return: the sequence; it may change as soon as it is read.
 */
u64 shmdev_region_seq(struct shmdev_region *region)
{
	return atomic64_read(shmdev_seq(region));
}

/* Entries on the wait queue, all of which a wake-up wakes; for tracing. */
static unsigned int shmdev_nr_waiters(struct shmdev_region *region)
{
	struct wait_queue_entry *entry;
	unsigned int n = 0;

	lockdep_assert_held(&region->wq.lock);
	list_for_each_entry(entry, &region->wq.head, entry)
		n++;
	return n;
}

/* Tells in-place notifiers that a waiter is queued (top of this file). */
static void shmdev_set_waiting(struct shmdev_region *region)
{
	lockdep_assert_held(&region->wq.lock);
	WRITE_ONCE(region->ctrl->waiting, 1);
}

/* Clears waiting once nobody is queued: it never hides a queued waiter. */
static void shmdev_clear_waiting(struct shmdev_region *region)
{
	lockdep_assert_held(&region->wq.lock);
	if (list_empty(&region->wq.head) && READ_ONCE(region->ctrl->waiting))
		WRITE_ONCE(region->ctrl->waiting, 0);
}

/*
 * Wakes every entry: WAIT sleeps non-exclusive, and so do pollers. An
 * entry of WAIT leaves the queue as it is woken; a poller's stays until
 * its poll() or epoll instance is done with it.
 */
static void shmdev_wake_all(struct shmdev_region *region)
{
	lockdep_assert_held(&region->wq.lock);
	wake_up_locked_poll(&region->wq, SHMDEV_POLL_EVENTS);
	shmdev_clear_waiting(region);
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

	seq = atomic64_inc_return(shmdev_seq(region));
	/*
	 * The increment is fully ordered, so the queue is read after the new
	 * sequence is visible: pairs with the barrier a waiter has between
	 * queueing itself and reading the sequence (top of this file). A set
	 * waiting word with nobody queued is cleared on the way.
	 */
	if (waitqueue_active(&region->wq) || READ_ONCE(region->ctrl->waiting)) {
		spin_lock_irqsave(&region->wq.lock, flags);
		if (trace_shmdev_notify_enabled())
			trace_shmdev_notify(region->id, seq, shmdev_nr_waiters(region));
		shmdev_wake_all(region);
		spin_unlock_irqrestore(&region->wq.lock, flags);
	} else {
		trace_shmdev_notify(region->id, seq, 0);
	}

	atomic64_inc(&region->nr_notifies);
	shmdev_count(SHMDEV_STAT_NOTIFIES);
	return seq;
}

/**
 * shmdev_region_wake() - wake every waiter, leaving the sequence alone
 * @region: the region
 *
 * What a notifier that incremented the sequence in the control page calls
 * when it read waiting set. Always takes the wait queue's lock: the waiter
 * it must wake was queued under that lock before it set waiting.
 *
 * Context: Any context that may take a spinlock with interrupts disabled.
 */
void shmdev_region_wake(struct shmdev_region *region)
{
	unsigned int woken = 0;
	unsigned long flags;

	spin_lock_irqsave(&region->wq.lock, flags);
	if (trace_shmdev_wake_enabled())
		woken = shmdev_nr_waiters(region);
	shmdev_wake_all(region);
	spin_unlock_irqrestore(&region->wq.lock, flags);

	trace_shmdev_wake(region->id, shmdev_region_seq(region), woken);
	shmdev_count(SHMDEV_STAT_WAKES);
}

/**
 * shmdev_file_ack() - acknowledge a sequence for a file
 * @acked_seq: the sequence the file last acknowledged
 * @seq: a sequence of the file's region that a call on the file has just
 *	returned to userspace
 *
 * Moves @acked_seq forward to @seq, or leaves it alone if it already is
 * @seq or a later sequence. Sequences grow, and by far less than 2^63 in a
 * region's lifetime, so the signed difference orders them; a writer that
 * stores an arbitrary sequence into the control page gets an arbitrary
 * but harmless order (poll may then report its files ready until the
 * sequence passes their acknowledged values again).
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
	return atomic64_read(shmdev_seq(region)) != seen;
}

/*
 * As prepare_to_wait(), and publishes waiting under the same lock; then a
 * full barrier before the caller reads the sequence (top of this file).
 */
static void shmdev_wait_prepare(struct shmdev_region *region,
				struct wait_queue_entry *wait)
{
	unsigned long flags;

	spin_lock_irqsave(&region->wq.lock, flags);
	if (list_empty(&wait->entry))
		__add_wait_queue(&region->wq, wait);
	shmdev_set_waiting(region);
	set_current_state(TASK_INTERRUPTIBLE);
	spin_unlock_irqrestore(&region->wq.lock, flags);
	/*
	 * waiting stored, then the sequence read: pairs with the notifier's
	 * fetch-and-add before its load of waiting (top of this file).
	 */
	smp_mb();
}

/* As finish_wait(), and clears waiting if this was the last waiter. */
static void shmdev_wait_finish(struct shmdev_region *region,
			       struct wait_queue_entry *wait)
{
	unsigned long flags;

	__set_current_state(TASK_RUNNING);
	spin_lock_irqsave(&region->wq.lock, flags);
	/* A wake-up may have taken the entry off already: it is then empty. */
	list_del_init(&wait->entry);
	shmdev_clear_waiting(region);
	spin_unlock_irqrestore(&region->wq.lock, flags);
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
		shmdev_wait_prepare(region, &wait);
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
	shmdev_wait_finish(region, &wait);
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
	unsigned long flags;

	poll_wait(file, &region->wq, wait);
	/*
	 * Queued (or another poller or waiter is), then tell in-place
	 * notifiers, then read the sequence: pairs with their fetch-and-add
	 * and with the fully ordered increment in shmdev_region_notify() (top
	 * of this file).
	 */
	spin_lock_irqsave(&region->wq.lock, flags);
	if (!list_empty(&region->wq.head))
		shmdev_set_waiting(region);
	spin_unlock_irqrestore(&region->wq.lock, flags);
	/* Queue and waiting stored, then the sequence read (above). */
	smp_mb();
	return shmdev_seq_moved(region, atomic64_read(acked_seq)) ?
	       SHMDEV_POLL_EVENTS : 0;
}

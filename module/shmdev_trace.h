/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of the shmdev module, in /sys/kernel/tracing/events/shmdev/.
 *
 * Every event names its region by the id that debugfs shmdev/regions and
 * /proc/PID/fdinfo show, except page_free: the page cache has already let
 * go of the folio when it is called.
 */

#undef TRACE_SYSTEM
#define TRACE_SYSTEM shmdev

#if !defined(_SHMDEV_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _SHMDEV_TRACE_H

#include <linux/mm_types.h>
#include <linux/tracepoint.h>

/* Read once: define_trace.h includes this header several times. */
#ifndef _SHMDEV_TRACE_HELPERS
#define _SHMDEV_TRACE_HELPERS

/*
 * The results shmdev_fault() returns, as plain numbers: vm_fault_t is a
 * sparse-restricted type, and its values are enumerators that perf could
 * not read from the event's format.
 */
#define SHMDEV_TRACE_FAULT_LOCKED	0	/* VM_FAULT_LOCKED: page mapped */
#define SHMDEV_TRACE_FAULT_SIGBUS	1	/* VM_FAULT_SIGBUS: beyond the size */
#define SHMDEV_TRACE_FAULT_OOM		2	/* VM_FAULT_OOM: no memory */

static inline u8 shmdev_trace_fault_result(vm_fault_t result)
{
	if (result == VM_FAULT_LOCKED)
		return SHMDEV_TRACE_FAULT_LOCKED;
	return result & VM_FAULT_OOM ? SHMDEV_TRACE_FAULT_OOM :
				       SHMDEV_TRACE_FAULT_SIGBUS;
}

#endif /* _SHMDEV_TRACE_HELPERS */

/*
 * shmdev_fault - the region's ->fault handler ran: a process touched a page
 * it had not mapped and fault-around did not map for it.
 */
TRACE_EVENT(shmdev_fault,
	    TP_PROTO(u32 region, pgoff_t index, vm_fault_t result, bool allocated),
	    TP_ARGS(region, index, result, allocated),
	    TP_STRUCT__entry(__field(u32, region)
			     __field(unsigned long, index)
			     __field(u8, result)
			     __field(bool, allocated)),
	    TP_fast_assign(__entry->region = region;
			   __entry->index = index;
			   __entry->result = shmdev_trace_fault_result(result);
			   __entry->allocated = allocated;),
	    TP_printk("region=%u index=%lu result=%s allocated=%d",
		      __entry->region, __entry->index,
		      __print_symbolic(__entry->result,
				       { SHMDEV_TRACE_FAULT_LOCKED, "LOCKED" },
				       { SHMDEV_TRACE_FAULT_SIGBUS, "SIGBUS" },
				       { SHMDEV_TRACE_FAULT_OOM, "OOM" }),
		      __entry->allocated)
);

/* shmdev_page_alloc - a zeroed page entered the region's page cache. */
TRACE_EVENT(shmdev_page_alloc,
	    TP_PROTO(u32 region, pgoff_t index, unsigned long pfn),
	    TP_ARGS(region, index, pfn),
	    TP_STRUCT__entry(__field(u32, region)
			     __field(unsigned long, index)
			     __field(unsigned long, pfn)),
	    TP_fast_assign(__entry->region = region;
			   __entry->index = index;
			   __entry->pfn = pfn;),
	    TP_printk("region=%u index=%lu pfn=0x%lx",
		      __entry->region, __entry->index, __entry->pfn)
);

/*
 * shmdev_page_free - a page left the region's page cache (a shrink, or the
 * region's release); the memory is freed at its folio's last put.
 */
TRACE_EVENT(shmdev_page_free,
	    TP_PROTO(pgoff_t index, unsigned long pfn),
	    TP_ARGS(index, pfn),
	    TP_STRUCT__entry(__field(unsigned long, index)
			     __field(unsigned long, pfn)),
	    TP_fast_assign(__entry->index = index;
			   __entry->pfn = pfn;),
	    TP_printk("index=%lu pfn=0x%lx",
		      __entry->index, __entry->pfn)
);

/* shmdev_resize - SET_SIZE changed the size; @dropped pages were removed. */
TRACE_EVENT(shmdev_resize,
	    TP_PROTO(u32 region, u64 old_size, u64 new_size, unsigned long dropped),
	    TP_ARGS(region, old_size, new_size, dropped),
	    TP_STRUCT__entry(__field(u32, region)
			     __field(u64, old_size)
			     __field(u64, new_size)
			     __field(unsigned long, dropped)),
	    TP_fast_assign(__entry->region = region;
			   __entry->old_size = old_size;
			   __entry->new_size = new_size;
			   __entry->dropped = dropped;),
	    TP_printk("region=%u old=%llu new=%llu dropped=%lu",
		      __entry->region, __entry->old_size, __entry->new_size,
		      __entry->dropped)
);

/*
 * shmdev_notify - NOTIFY moved the sequence to @seq and woke @woken
 * entries of the wait queue (tasks in WAIT and pollers).
 */
TRACE_EVENT(shmdev_notify,
	    TP_PROTO(u32 region, u64 seq, unsigned int woken),
	    TP_ARGS(region, seq, woken),
	    TP_STRUCT__entry(__field(u32, region)
			     __field(u64, seq)
			     __field(unsigned int, woken)),
	    TP_fast_assign(__entry->region = region;
			   __entry->seq = seq;
			   __entry->woken = woken;),
	    TP_printk("region=%u seq=%llu woken=%u",
		      __entry->region, __entry->seq, __entry->woken)
);

/*
 * shmdev_wake - WAKE woke @woken entries of the wait queue; the sequence
 * was @seq just after.
 */
TRACE_EVENT(shmdev_wake,
	    TP_PROTO(u32 region, u64 seq, unsigned int woken),
	    TP_ARGS(region, seq, woken),
	    TP_STRUCT__entry(__field(u32, region)
			     __field(u64, seq)
			     __field(unsigned int, woken)),
	    TP_fast_assign(__entry->region = region;
			   __entry->seq = seq;
			   __entry->woken = woken;),
	    TP_printk("region=%u seq=%llu woken=%u",
		      __entry->region, __entry->seq, __entry->woken)
);

/*
 * shmdev_wait - WAIT returned @result (0, -ETIMEDOUT or -EINTR) after
 * @slept_ns nanoseconds.
 */
TRACE_EVENT(shmdev_wait,
	    TP_PROTO(u32 region, int result, u64 slept_ns),
	    TP_ARGS(region, result, slept_ns),
	    TP_STRUCT__entry(__field(u32, region)
			     __field(int, result)
			     __field(u64, slept_ns)),
	    TP_fast_assign(__entry->region = region;
			   __entry->result = result;
			   __entry->slept_ns = slept_ns;),
	    TP_printk("region=%u result=%d slept_ns=%llu",
		      __entry->region, __entry->result, __entry->slept_ns)
);

#endif /* _SHMDEV_TRACE_H */

/* Out of the kernel tree: define_trace.h finds this file by this name. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE shmdev_trace
#include <trace/define_trace.h>

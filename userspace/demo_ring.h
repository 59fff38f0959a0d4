/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The message ring shared by shmdev-writer and shmdev-reader.
 *
 * The region holds a header and SLOTS slots. The writer fills slot
 * head % SLOTS, advances head and notifies; the reader prints slot
 * tail % SLOTS, advances tail and notifies. Each side sleeps in
 * SHMDEV_IOC_WAIT only after finding nothing to do, with the sequence it
 * saw before looking, so no wake-up is lost.
 */

#ifndef SHMDEV_DEMO_RING_H
#define SHMDEV_DEMO_RING_H

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#define DEMO_MAGIC	0x73686d64656d6f31ULL	/* "shmdemo1" */
#define DEMO_SLOTS	16
#define DEMO_MSG_MAX	4000

/* Slot flags. */
#define DEMO_END	1	/* no message: the writer is done */

struct demo_slot {
	uint32_t len;
	uint32_t flags;
	uint64_t sent_ns;	/* CLOCK_MONOTONIC, when published */
	char data[DEMO_MSG_MAX];
};

struct demo_ring {
	_Atomic uint64_t magic;
	_Atomic uint64_t head;	/* messages published */
	_Atomic uint64_t tail;	/* messages consumed */
	struct demo_slot slot[DEMO_SLOTS];
};

static inline uint64_t demo_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

#endif /* SHMDEV_DEMO_RING_H */

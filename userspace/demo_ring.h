/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The message ring shared by shmdev-writer and shmdev-reader.
 *
 * The region holds a header and SLOTS slots. The writer fills slot
 * head % SLOTS, advances head and notifies; the reader prints slot
 * tail % SLOTS, advances tail and notifies. Each side sleeps in
 * SHMDEV_IOC_WAIT only after finding nothing to do, with the sequence it
 * saw before looking, so no wake-up is lost.
 *
 * By default the ring lives in the named region DEMO_NAME, which whichever
 * program comes first creates (owned by its user, mode 0600, with
 * SHMDEV_OPEN_AUTOREMOVE: the name goes away when both have exited);
 * --default-region uses the default region of /dev/shmdev instead.
 */

#ifndef SHMDEV_DEMO_RING_H
#define SHMDEV_DEMO_RING_H

#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/shmdev.h"

#define DEMO_MAGIC	0x73686d64656d6f31ULL	/* "shmdemo1" */
#define DEMO_SLOTS	16
#define DEMO_MSG_MAX	4000
#define DEMO_NAME	"demo"	/* the region's default name */
#define DEMO_MODE	0600	/* of a region the demo creates */

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

/*
 * Opens the ring's region read-write: the region @name, created if need
 * be, or with @name NULL the default region. Returns 0 or -errno.
 */
static inline int demo_open(struct shmdev *dev, const char *name)
{
	if (!name)
		return shmdev_open(dev, O_RDWR);
	return shmdev_open_name(dev, name, SHMDEV_OPEN_CREATE | SHMDEV_OPEN_AUTOREMOVE,
				sizeof(struct demo_ring), DEMO_MODE);
}

/* "/dev/shmdev" or "region NAME", for messages. */
static inline const char *demo_what(const char *name, char *buf, size_t len)
{
	if (!name)
		return SHMDEV_DEFAULT_PATH;
	snprintf(buf, len, "region %s", name);
	return buf;
}

/*
 * Parses the options the two programs share, from argv[*i]: --name NAME,
 * --name=NAME, --default-region. Returns 1 if it took one (and moves *i
 * past it), 0 if argv[*i] is none of them, -1 for --name without NAME.
 */
static inline int demo_region_opt(int argc, char **argv, int *i, const char **name)
{
	const char *a = argv[*i];

	if (!strcmp(a, "--default-region")) {
		*name = NULL;
		(*i)++;
		return 1;
	}
	if (!strncmp(a, "--name=", 7)) {
		*name = a + 7;
		(*i)++;
		return 1;
	}
	if (strcmp(a, "--name"))
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*name = argv[*i + 1];
	*i += 2;
	return 1;
}

#endif /* SHMDEV_DEMO_RING_H */

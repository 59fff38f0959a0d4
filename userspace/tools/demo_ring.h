/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The message ring shared by shmdev-writer and shmdev-reader: libshmdev's
 * ring (shmdev_ring_*), after a small header.
 *
 * The writer creates the ring (a new session), then for each message
 * reserves room, writes the message in place and commits it, and waits
 * until the header's count of messages taken reaches it: that gives the
 * round-trip time. The reader peeks at each message, prints it in place,
 * releases it, counts it in the header and notifies. Both sleep through
 * libshmdev's wait/notify, with no lost wake-up.
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
#include <sys/mman.h>
#include <time.h>

#include "lib/shmdev.h"

#define DEMO_MSG_MAX	4000
#define DEMO_NAME	"demo"	/* the region's default name */
#define DEMO_MODE	0600	/* of a region the demo creates */
/* The region's size: header and ring (the listing in cli_test.sh shows it). */
#define DEMO_SIZE	64280
#define DEMO_RING_OFF	64	/* the ring, after struct demo_hdr */

/* Message flags. */
#define DEMO_END	1	/* no text: the writer is done */

#define DEMO_MAGIC	0x73686d64656d6f31ULL	/* "shmdemo1" */

/* At the start of the region. */
struct demo_hdr {
	_Atomic uint64_t magic;	/* DEMO_MAGIC once a writer used the region */
	_Atomic uint64_t taken;	/* messages the reader has released */
};

/* A message in the ring: this, then the text. */
struct demo_msg {
	uint64_t sent_ns;	/* CLOCK_MONOTONIC, when committed */
	uint32_t flags;
	uint32_t pad;
	char text[];
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
				DEMO_SIZE, DEMO_MODE);
}

/*
 * Sizes the region for the ring (growing it only: the other program may
 * be using it) and maps it. Returns 0 or -errno.
 */
static inline int demo_map(struct shmdev *dev, struct demo_hdr **hdr, void **ring)
{
	uint64_t size;
	void *map;
	int err;

	err = shmdev_get_size(dev, &size);
	if (!err && size < DEMO_SIZE)
		err = shmdev_set_size(dev, DEMO_SIZE);
	if (!err)
		err = shmdev_map(dev, DEMO_SIZE, PROT_READ | PROT_WRITE, &map);
	if (err)
		return err;
	*hdr = map;
	*ring = (char *)map + DEMO_RING_OFF;
	return 0;
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

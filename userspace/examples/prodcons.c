// SPDX-License-Identifier: GPL-2.0
/*
 * prodcons - a producer and a consumer over a named shmdev region
 *
 * The producer sends COUNT messages of different lengths through
 * libshmdev's ring; the consumer checks that each arrives whole, in
 * order, and says so in the region; the producer waits for that word, so
 * that it never leaves before its messages were read. It shows:
 *
 * - both sides open the region with SHMDEV_OPEN_CREATE, so that either
 *   may start first, and SHMDEV_OPEN_AUTOREMOVE, so that the name goes
 *   when both have exited (even killed);
 * - the region is only ever grown: the producer sets the size it needs
 *   when the region is smaller, never shrinks a larger one (that would
 *   free another program's data), and the consumer never resizes;
 * - only the producer creates the ring, and only when none is there (a
 *   new ring would erase what the consumer has not read); a full ring
 *   makes the producer wait, it never overwrites an unread message;
 * - waiting with shmdev_wait() for a word in the region: read the
 *   sequence, then the word, then wait for the sequence to move.
 *
 * Build outside the tree:
 *   cc -o prodcons prodcons.c $(pkg-config --cflags --libs shmdev)
 * Usage:
 *   prodcons [-n COUNT] [NAME]              both sides, in two processes
 *   prodcons producer|consumer [-n COUNT] [NAME]   one side; start the other
 * NAME defaults to "prodcons", COUNT to 1000. Exit status 0 when the
 * consumer received every message in order with the right content.
 */

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libshmdev.h>

#define RING_OFF	64			/* after struct shared */
#define RING_LEN	(256 + 16384)		/* ring header and 16 KiB */
#define REGION_SIZE	(RING_OFF + RING_LEN)
#define TIMEOUT_NS	(20 * 1000000000LL)	/* give up after 20 s idle */

struct shared {			/* at the start of the region */
	_Atomic uint32_t received;	/* set by the consumer when done */
};

/* Message @i: its length, and its bytes written into @buf. */
static size_t make_msg(uint32_t i, unsigned char *buf)
{
	size_t len = 8 + (i * 37) % 1500;

	if (buf) {
		memcpy(buf, &i, sizeof(i));		/* its number first */
		for (size_t j = sizeof(i); j < len; j++)
			buf[j] = (unsigned char)(i * 31 + j);
	}
	return len;
}

static int fail(const char *who, const char *what, int err)
{
	fprintf(stderr, "prodcons: %s: %s: %s\n", who, what, strerror(-err));
	return 1;
}

/* Opens and maps the region; the consumer passes size 0 (never resizes). */
static int open_region(const char *name, uint64_t want, struct shmdev *dev, char **map)
{
	uint64_t size;
	int err = shmdev_open_name(dev, name, SHMDEV_OPEN_CREATE | SHMDEV_OPEN_AUTOREMOVE,
				   want, 0600);

	if (!err)
		err = shmdev_get_size(dev, &size);
	if (!err && size < want)		/* grow it; never shrink */
		err = shmdev_set_size(dev, want);
	/* The mapping may be larger than the size: it fills in as it grows. */
	if (!err)
		err = shmdev_map(dev, REGION_SIZE, PROT_READ | PROT_WRITE, (void **)map);
	return err;
}

static int producer(const char *name, uint32_t count)
{
	struct shmdev dev;
	struct shmdev_ring ring;
	struct shared *sh;
	char *map;
	int err = open_region(name, REGION_SIZE, &dev, &map);

	if (err)
		return fail("producer", name, err);
	sh = (struct shared *)map;
	err = shmdev_ring_attach(&ring, &dev, map + RING_OFF, RING_LEN);
	if (err == -ENOMSG)	/* no ring yet: ours to make (it notifies) */
		err = shmdev_ring_create(&ring, &dev, map + RING_OFF, RING_LEN, 0);
	if (err)
		return fail("producer", "ring", err);

	for (uint32_t i = 0; i < count; i++) {
		void *p;

		/* Waits while the ring is full: the consumer's room is kept. */
		do
			err = shmdev_ring_reserve(&ring, make_msg(i, NULL), TIMEOUT_NS, &p);
		while (err == -EINTR);
		if (err)
			return fail("producer", "reserve", err);
		make_msg(i, p);				/* written in place */
		err = shmdev_ring_commit(&ring, p);
		if (err)
			return fail("producer", "commit", err);
	}

	/* Sequence first, then the word: a notify in between is not missed. */
	for (;;) {
		uint64_t seq = shmdev_seq(&dev);

		if (atomic_load(&sh->received) == count)
			break;
		err = shmdev_wait(&dev, &seq, TIMEOUT_NS);
		if (err && err != -EINTR)
			return fail("producer", "waiting for the consumer", err);
	}
	printf("producer: sent %u messages, the consumer confirmed them\n", count);
	shmdev_close(&dev);
	return 0;
}

static int consumer(const char *name, uint32_t count)
{
	struct shmdev dev;
	struct shmdev_ring ring;
	struct shared *sh;
	char *map;
	int err = open_region(name, 0, &dev, &map);

	if (err)
		return fail("consumer", name, err);
	sh = (struct shared *)map;
	/* Wait until the producer has sized the region and made the ring. */
	for (;;) {
		uint64_t size, seq = shmdev_seq(&dev);

		err = shmdev_get_size(&dev, &size);
		if (err)
			return fail("consumer", "size", err);
		if (size >= REGION_SIZE) {
			err = shmdev_ring_attach(&ring, &dev, map + RING_OFF, RING_LEN);
			if (err != -ENOMSG)
				break;
		}
		err = shmdev_wait(&dev, &seq, TIMEOUT_NS);
		if (err && err != -EINTR)
			return fail("consumer", "waiting for the producer", err);
	}
	if (err)
		return fail("consumer", "ring", err);

	for (uint32_t i = 0; i < count; i++) {
		unsigned char want[2048];
		const void *p;
		size_t len;

		do
			err = shmdev_ring_peek(&ring, TIMEOUT_NS, &p, &len);
		while (err == -EINTR);
		if (err)
			return fail("consumer", "peek", err);
		/* Read in place, then give the room back. */
		if (len != make_msg(i, want) || memcmp(p, want, len)) {
			fprintf(stderr, "prodcons: consumer: message %u (%zu bytes) is not the %u-th\n",
				*(const uint32_t *)p, len, i);
			return 1;
		}
		err = shmdev_ring_release(&ring, p);
		if (err)
			return fail("consumer", "release", err);
	}
	atomic_store(&sh->received, count);
	err = shmdev_notify(&dev, NULL);
	if (err)
		return fail("consumer", "notify", err);
	printf("consumer: received %u messages in order, content verified\n", count);
	shmdev_close(&dev);
	return 0;
}

int main(int argc, char **argv)
{
	const char *role = NULL, *name = "prodcons";
	uint32_t count = 1000;
	int i = 1, status, rc;
	pid_t pid;

	if (i < argc && (!strcmp(argv[i], "producer") || !strcmp(argv[i], "consumer")))
		role = argv[i++];
	if (i + 1 < argc && !strcmp(argv[i], "-n")) {
		count = strtoul(argv[i + 1], NULL, 10);
		i += 2;
	}
	if (i < argc && argv[i][0] != '-')
		name = argv[i++];
	if (i < argc || !count) {
		fprintf(stderr, "Usage: prodcons [producer|consumer] [-n COUNT] [NAME]\n");
		return 2;
	}
	if (role)
		return role[0] == 'p' ? producer(name, count) : consumer(name, count);

	/* Both: the child consumes, this process produces. */
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		exit(consumer(name, count));	/* exit(): flushes stdout */
	rc = pid < 0 ? 1 : producer(name, count);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		rc = 1;
	return rc;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of libshmdev's message ring (shmdev_ring_*), each run twice: over
 * shared anonymous memory with no device (the ring polls; runs anywhere,
 * with `make test`), and over a named shmdev region with its notifications
 * (in the VM; skipped where /dev/shmdev is absent).
 *
 * Every message carries its producer, its sequence number, its length and
 * a checksum, and a body computed from them: the consumer checks all of
 * it, so a torn, lost, repeated or reordered message shows. Producers and
 * consumers are separate processes; the kill tests SIGKILL them mid-stream
 * and start new ones, then check what shmdev.h promises: committed
 * messages delivered whole and in order, a dead producer's uncommitted
 * reservation skipped, a message peeked and not released delivered again.
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/shmdev.h"
#include "shmdev_common.h"

#include "harness.h"

#define MiB		(1024 * 1024)
#define SEC		1000000000LL
#define HDR		256	/* the ring's header (shmdev.h) */
#define END_SEQ		UINT64_MAX

/* The head of every test message; the body follows. */
struct msg {
	uint32_t producer;
	uint32_t len;		/* of the whole message */
	uint64_t seq;
	uint64_t sum;		/* of the body */
};

/* State the test's processes share (a page of its own). */
struct shared {
	volatile uint64_t done[4];	/* per producer: last seq committed */
	volatile uint64_t maybe[64];	/* seqs a killed producer may have lost */
	volatile uint32_t nr_maybe;
	volatile uint32_t ready;	/* a child reached the point to kill it at */
	volatile uint32_t errors;	/* a child found a bad message */
	volatile uint32_t got_end;
	volatile uint64_t delivered;
	volatile uint8_t seen[1 << 16];	/* consumer child: deliveries per seq */
};

static uint64_t body_byte_seed(uint32_t producer, uint64_t seq)
{
	return (seq + 1) * 0x9e3779b97f4a7c15ULL ^ ((uint64_t)producer << 56);
}

/* Fills @m (of @len bytes) as message @seq of @producer. */
static void fill_msg(void *p, size_t len, uint32_t producer, uint64_t seq)
{
	struct msg *m = p;
	unsigned char *b = (unsigned char *)(m + 1);
	uint64_t x = body_byte_seed(producer, seq), sum = 0;
	size_t n = len - sizeof(*m);

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		b[i] = x;
		sum = sum * 31 + b[i];
	}
	m->producer = producer;
	m->len = len;
	m->seq = seq;
	m->sum = sum;
}

/* Is @p (@len bytes) a whole, untorn test message? */
static bool check_msg(const void *p, size_t len)
{
	const struct msg *m = p;
	const unsigned char *b = (const unsigned char *)(m + 1);
	uint64_t x, sum = 0;

	if (len < sizeof(*m) || m->len != len)
		return false;
	x = body_byte_seed(m->producer, m->seq);
	for (size_t i = 0; i < len - sizeof(*m); i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (b[i] != (unsigned char)x)
			return false;
		sum = sum * 31 + b[i];
	}
	return sum == m->sum;
}

/* The size of message @seq: fixed @size, or (@size 0) varying up to @max. */
static size_t msg_size(uint64_t seq, size_t size, size_t max)
{
	if (size)
		return size;
	return sizeof(struct msg) + (seq * 2654435761ULL) % (max - sizeof(struct msg) + 1);
}

/* Sends one message; 0 or -errno. */
static int send_one(struct shmdev_ring *r, uint32_t producer, uint64_t seq, size_t len)
{
	void *p;
	int err;

	do
		err = shmdev_ring_reserve(r, len, 60 * SEC, &p);
	while (err == -EINTR);
	if (err)
		return err;
	fill_msg(p, len, producer, seq);
	return shmdev_ring_commit(r, p);
}

FIXTURE(ring) {
	struct shmdev dev;
	struct shmdev *devp;
	char name[64];
	void *base;
	size_t len;
	struct shared *sh;
	pid_t pids[8];
};

FIXTURE_VARIANT(ring) {
	bool device;
};

FIXTURE_VARIANT_ADD(ring, anon) {
	.device = false,
};

FIXTURE_VARIANT_ADD(ring, region) {
	.device = true,
};

/* Maps @len bytes for the ring: a named region or anonymous memory. */
static int map_ring(struct __test_metadata *_metadata, FIXTURE_DATA(ring) *self,
		    bool device, size_t len)
{
	if (self->base)
		munmap(self->base, self->len);
	self->base = NULL;
	self->len = len;
	if (!device) {
		self->base = mmap(NULL, len, PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		return self->base == MAP_FAILED ? (self->base = NULL, -errno) : 0;
	}
	if (shmdev_set_size(&self->dev, 0) || shmdev_set_size(&self->dev, len))
		return -EIO;
	return shmdev_map(&self->dev, len, PROT_READ | PROT_WRITE, &self->base);
}

FIXTURE_SETUP(ring)
{
	self->sh = mmap(NULL, sizeof(struct shared), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->sh);
	self->dev.fd = -1;
	if (variant->device) {
		if (access(SHMDEV_DEFAULT_PATH, F_OK))
			SKIP(return, "%s is absent", SHMDEV_DEFAULT_PATH);
		snprintf(self->name, sizeof(self->name), "ring_test.%d", (int)getpid());
		ASSERT_EQ(0, shmdev_open_name(&self->dev, self->name,
					      SHMDEV_OPEN_CREATE | SHMDEV_OPEN_AUTOREMOVE,
					      4096, 0600));
		self->devp = &self->dev;
		TH_LOG("notifications through %s",
		       self->dev.ctrl ? "the control page" : "the ioctls (no control page)");
	}
	ASSERT_EQ(0, map_ring(_metadata, self, variant->device, 64 * 1024 + HDR));
}

FIXTURE_TEARDOWN(ring)
{
	kill_all(self->pids, 8);
	if (self->base)
		munmap(self->base, self->len);
	munmap(self->sh, sizeof(struct shared));
	if (self->dev.fd >= 0)
		shmdev_close(&self->dev);
}

/* True once child @pid sleeps waiting for the ring (device: in WAIT). */
static bool await_blocked(FIXTURE_DATA(ring) *self, pid_t pid)
{
	if (self->devp)
		return await_in_syscall(pid, pid, SYS_ioctl, -1, (unsigned long)self->dev.fd,
					(unsigned long)SHMDEV_IOC_WAIT);
	/* Polling: still running, and not done, after a while. */
	usleep(100000);
	return waitpid(pid, NULL, WNOHANG) == 0;
}

TEST_F(ring, create_attach_errors)
{
	struct shmdev_ring r, a;
	uint64_t *h = self->base;

	EXPECT_EQ(-ENOMSG, shmdev_ring_attach(&a, self->devp, self->base, self->len));
	EXPECT_EQ(-EINVAL, shmdev_ring_create(&r, self->devp, self->base, self->len, 2));
	EXPECT_EQ(-EINVAL, shmdev_ring_create(&r, self->devp, (char *)self->base + 8,
					      self->len - 8, 0));
	EXPECT_EQ(-EINVAL, shmdev_ring_create(&r, self->devp, self->base, 511, 0));
	EXPECT_EQ(-ENOMSG, shmdev_ring_attach(&a, self->devp, self->base, self->len));

	ASSERT_EQ(0, shmdev_ring_create(&r, self->devp, self->base, self->len, 0));
	/* 64 KiB of data: messages up to half of it, less a record header. */
	EXPECT_EQ(32768UL - 16, shmdev_ring_max_msg(&r));
	ASSERT_EQ(0, shmdev_ring_attach(&a, self->devp, self->base, self->len));
	EXPECT_EQ(shmdev_ring_max_msg(&r), shmdev_ring_max_msg(&a));
	/* Mapped shorter than the ring. */
	EXPECT_EQ(-EBADMSG, shmdev_ring_attach(&a, self->devp, self->base, 32768 + HDR));
	/* A header this library did not write: its size is not a power of two. */
	h[2] += 1;
	EXPECT_EQ(-EBADMSG, shmdev_ring_attach(&a, self->devp, self->base, self->len));
	h[2] -= 1;
	EXPECT_EQ(0, shmdev_ring_attach(&a, self->devp, self->base, self->len));
	/* Just too short for a 64 KiB data area: 32 KiB. */
	ASSERT_EQ(0, shmdev_ring_create(&r, self->devp, self->base, self->len - 8, 0));
	EXPECT_EQ(16384UL - 16, shmdev_ring_max_msg(&r));
}

TEST_F(ring, in_place_in_order)
{
	struct shmdev_ring p, c;
	const void *m, *m2;
	void *a, *b, *big;
	int64_t t0;
	size_t len;

	ASSERT_EQ(0, shmdev_ring_create(&p, self->devp, self->base, self->len, 0));
	ASSERT_EQ(0, shmdev_ring_attach(&c, self->devp, self->base, self->len));

	EXPECT_EQ(-EAGAIN, shmdev_ring_peek(&c, 0, &m, &len));
	t0 = sd_now_ns();
	EXPECT_EQ(-ETIMEDOUT, shmdev_ring_peek(&c, 20000000, &m, &len));
	EXPECT_LE(20000000, (int64_t)sd_now_ns() - t0);
	EXPECT_EQ(-EMSGSIZE, shmdev_ring_reserve(&p, shmdev_ring_max_msg(&p) + 1, 0, &a));

	/* Two reservations; the second committed first waits for the first. */
	ASSERT_EQ(0, shmdev_ring_reserve(&p, 100, 0, &a));
	ASSERT_EQ(0, shmdev_ring_reserve(&p, 3, 0, &b));
	EXPECT_EQ(0UL, (uintptr_t)a % 8);
	EXPECT_TRUE((char *)b >= (char *)a + 100);
	memcpy(b, "two", 3);
	ASSERT_EQ(0, shmdev_ring_commit(&p, b));
	EXPECT_EQ(-EINVAL, shmdev_ring_commit(&p, b));
	EXPECT_EQ(-EINVAL, shmdev_ring_commit(&p, (char *)a + 8));
	EXPECT_EQ(-EAGAIN, shmdev_ring_peek(&c, 0, &m, &len));
	fill_msg(a, 100, 0, 7);
	ASSERT_EQ(0, shmdev_ring_commit(&p, a));

	ASSERT_EQ(0, shmdev_ring_peek(&c, 0, &m, &len));
	EXPECT_EQ(a, m);	/* in place */
	EXPECT_EQ(100UL, len);
	EXPECT_TRUE(check_msg(m, len));
	/* Peeking again gives the same message. */
	ASSERT_EQ(0, shmdev_ring_peek(&c, 0, &m2, &len));
	EXPECT_EQ(m, m2);
	EXPECT_EQ(-EINVAL, shmdev_ring_release(&c, b));
	ASSERT_EQ(0, shmdev_ring_release(&c, m));
	EXPECT_EQ(-EINVAL, shmdev_ring_release(&c, m));
	ASSERT_EQ(0, shmdev_ring_peek(&c, -1, &m, &len));
	EXPECT_EQ(3UL, len);
	EXPECT_EQ(0, memcmp(m, "two", 3));
	ASSERT_EQ(0, shmdev_ring_release(&c, m));

	/* A zero-length message, then the largest one, in an empty ring. */
	ASSERT_EQ(0, shmdev_ring_reserve(&p, 0, 0, &a));
	ASSERT_EQ(0, shmdev_ring_commit(&p, a));
	ASSERT_EQ(0, shmdev_ring_peek(&c, 0, &m, &len));
	EXPECT_EQ(0UL, len);
	ASSERT_EQ(0, shmdev_ring_release(&c, m));
	ASSERT_EQ(0, shmdev_ring_reserve(&p, shmdev_ring_max_msg(&p), 0, &big));
	/* Full: a try fails, a wait times out. */
	ASSERT_EQ(0, shmdev_ring_commit(&p, big));
	ASSERT_EQ(0, shmdev_ring_reserve(&p, shmdev_ring_max_msg(&p) - 1024, 0, &a));
	ASSERT_EQ(0, shmdev_ring_commit(&p, a));
	EXPECT_EQ(-EAGAIN, shmdev_ring_reserve(&p, 1024, 0, &a));
	t0 = sd_now_ns();
	EXPECT_EQ(-ETIMEDOUT, shmdev_ring_reserve(&p, 1024, 20000000, &a));
	EXPECT_LE(20000000, (int64_t)sd_now_ns() - t0);
	ASSERT_EQ(0, shmdev_ring_peek(&c, 0, &m, &len));
	EXPECT_EQ(shmdev_ring_max_msg(&p), len);
	ASSERT_EQ(0, shmdev_ring_release(&c, m));
	EXPECT_EQ(0, shmdev_ring_reserve(&p, 1024, 0, &a));
}

/* A created-again ring is empty for those attached; a stale release fails. */
TEST_F(ring, created_again)
{
	struct shmdev_ring p, c;
	const void *m;
	size_t len;
	void *a;

	ASSERT_EQ(0, shmdev_ring_create(&p, self->devp, self->base, self->len, 0));
	ASSERT_EQ(0, shmdev_ring_attach(&c, self->devp, self->base, self->len));
	ASSERT_EQ(0, shmdev_ring_reserve(&p, 64, 0, &a));
	fill_msg(a, 64, 0, 1);
	ASSERT_EQ(0, shmdev_ring_commit(&p, a));
	ASSERT_EQ(0, shmdev_ring_peek(&c, 0, &m, &len));
	ASSERT_EQ(0, shmdev_ring_create(&p, self->devp, self->base, self->len, 0));
	EXPECT_EQ(-ESTALE, shmdev_ring_release(&c, m));
	EXPECT_EQ(-EAGAIN, shmdev_ring_peek(&c, 0, &m, &len));
	ASSERT_EQ(0, shmdev_ring_reserve(&p, 64, 0, &a));
	fill_msg(a, 64, 0, 2);
	ASSERT_EQ(0, shmdev_ring_commit(&p, a));
	ASSERT_EQ(0, shmdev_ring_peek(&c, 0, &m, &len));
	EXPECT_EQ(2ULL, ((const struct msg *)m)->seq);
}

/* Is @seq one that a killed producer may have reserved and not committed? */
static bool is_maybe(const struct shared *sh, uint64_t seq)
{
	for (uint32_t i = 0; i < sh->nr_maybe; i++)
		if (sh->maybe[i] == seq)
			return true;
	return false;
}

/*
 * The consumer's side of the stream tests, in this process: takes
 * messages until every producer's end, checking each and that the
 * sequence numbers of each producer only grow by one, except across the
 * seqs in sh->maybe (a killed producer's last reservation). Returns the
 * messages taken, or -1 (after logging why).
 */
static long consume(struct __test_metadata *_metadata, FIXTURE_DATA(ring) *self,
		    struct shmdev_ring *c, int producers, bool gaps, unsigned int *wraps)
{
	uint64_t next[4] = { 0 };
	const void *last = NULL;
	int ends = 0;
	long n = 0;

	while (ends < producers) {
		const struct msg *m;
		const void *p;
		size_t len;
		int err;

		err = shmdev_ring_peek(c, 20 * SEC, &p, &len);
		if (err == -EINTR)
			continue;
		if (err) {
			TH_LOG("peek after %ld messages: %s", n, strerror(-err));
			return -1;
		}
		m = p;
		if (last && p < last && wraps)
			(*wraps)++;
		last = p;
		if (!check_msg(p, len) || m->producer >= (uint32_t)producers) {
			TH_LOG("message %ld torn (%zu bytes, producer %u, seq %llu)", n, len,
			       m->producer, (unsigned long long)m->seq);
			return -1;
		}
		if (m->seq == END_SEQ) {
			ends++;
		} else if (m->seq != next[m->producer]) {
			uint64_t want = next[m->producer];

			/* Only a killed producer's last reservations may be missing. */
			while (gaps && m->seq != want && is_maybe(self->sh, want))
				want++;
			if (m->seq != want) {
				TH_LOG("producer %u: seq %llu after %llu", m->producer,
				       (unsigned long long)m->seq,
				       (unsigned long long)next[m->producer] - 1);
				return -1;
			}
		}
		if (m->seq != END_SEQ)
			next[m->producer] = m->seq + 1;
		n++;
		err = shmdev_ring_release(c, p);
		if (err) {
			TH_LOG("release: %s", strerror(-err));
			return -1;
		}
	}
	for (int i = 0; i < producers; i++)
		if (next[i] != self->sh->done[i] + 1) {
			TH_LOG("producer %d: last seq %llu, committed up to %llu", i,
			       (unsigned long long)next[i] - 1,
			       (unsigned long long)self->sh->done[i]);
			return -1;
		}
	return n;
}

struct prod_arg {
	FIXTURE_DATA(ring) *self;
	uint32_t producer;
	uint64_t first, count;
	size_t size, max;
	bool end;
};

/* A producer process: attaches, sends count messages from first, the end. */
static int producer(void *p)
{
	struct prod_arg *a = p;
	struct shmdev_ring r;
	size_t max;

	if (shmdev_ring_attach(&r, a->self->devp, a->self->base, a->self->len))
		return 10;
	max = a->max ? a->max : shmdev_ring_max_msg(&r);
	for (uint64_t s = a->first; s < a->first + a->count; s++) {
		if (send_one(&r, a->producer, s, msg_size(s, a->size, max)))
			return 11;
		a->self->sh->done[a->producer] = s;
	}
	if (a->end && send_one(&r, a->producer, END_SEQ, sizeof(struct msg)))
		return 12;
	return 0;
}

static void stream(struct __test_metadata *_metadata, FIXTURE_DATA(ring) *self,
		   uint32_t flags, int producers, uint64_t count, size_t size, size_t max)
{
	struct shmdev_ring c;
	unsigned int wraps = 0;
	long n;

	ASSERT_EQ(0, shmdev_ring_create(&c, self->devp, self->base, self->len, flags));
	for (int i = 0; i < producers; i++) {
		struct prod_arg a = {
			.self = self, .producer = i, .first = 0, .count = count,
			.size = size, .max = max, .end = true,
		};

		self->sh->done[i] = -1;
		self->pids[i] = sd_spawn(producer, &a);
		ASSERT_LT(0, self->pids[i]);
	}
	n = consume(_metadata, self, &c, producers, false, &wraps);
	EXPECT_EQ((long)((count + 1) * producers), n);
	EXPECT_EQ(0, sd_wait_all(self->pids, producers));
	memset(self->pids, 0, sizeof(self->pids));
	TH_LOG("%ld messages, %u wraps of the ring", n, wraps);
	EXPECT_LE(3U, wraps);
}

/* 64-byte messages through 4 KiB of ring: it wraps thousands of times. */
TEST_F(ring, stream_64_bytes)
{
	ASSERT_EQ(0, map_ring(_metadata, self, variant->device, 4096 + HDR));
	stream(_metadata, self, 0, 1, 20000, 64, 0);
}

/* 1 MiB messages through 4 MiB of ring. */
TEST_F(ring, stream_1_mib)
{
	ASSERT_EQ(0, map_ring(_metadata, self, variant->device, 4 * MiB + 4096));
	stream(_metadata, self, 0, 1, 40, MiB, 0);
}

/* Sizes from a header to half the ring, so that padding records show up. */
TEST_F(ring, stream_variable_sizes)
{
	stream(_metadata, self, 0, 1, 3000, 0, 0);
}

TEST_F(ring, three_producers)
{
	stream(_metadata, self, SHMDEV_RING_MULTI_PRODUCER, 3, 5000, 0, 2000);
}

/* A full ring blocks the producer until the consumer releases. */
TEST_F(ring, full_ring_blocks)
{
	struct shmdev_ring c;
	struct prod_arg a = { .self = self, .count = 2, .size = 0, .max = 0 };
	const void *m;
	size_t len;
	void *p;

	ASSERT_EQ(0, shmdev_ring_create(&c, self->devp, self->base, self->len, 0));
	ASSERT_EQ(0, shmdev_ring_reserve(&c, shmdev_ring_max_msg(&c), 0, &p));
	fill_msg(p, shmdev_ring_max_msg(&c), 0, 0);
	ASSERT_EQ(0, shmdev_ring_commit(&c, p));
	/* Two more the size of the first: the second finds no room. */
	a.first = 1;
	a.size = shmdev_ring_max_msg(&c);
	self->sh->done[0] = 0;
	self->pids[0] = sd_spawn(producer, &a);
	ASSERT_LT(0, self->pids[0]);
	ASSERT_TRUE(await_blocked(self, self->pids[0]));
	EXPECT_EQ(1ULL, self->sh->done[0]);
	ASSERT_EQ(0, shmdev_ring_peek(&c, 0, &m, &len));
	ASSERT_EQ(0, shmdev_ring_release(&c, m));
	EXPECT_TRUE(child_ok(self->pids[0]));
	self->pids[0] = 0;
	EXPECT_EQ(2ULL, self->sh->done[0]);
}

/* An empty ring blocks the consumer until a producer commits. */
static int consumer_one(void *p)
{
	FIXTURE_DATA(ring) *self = p;
	struct shmdev_ring c;
	const void *m;
	size_t len;

	if (shmdev_ring_attach(&c, self->devp, self->base, self->len))
		return 10;
	if (shmdev_ring_peek(&c, 60 * SEC, &m, &len))
		return 11;
	return check_msg(m, len) && ((const struct msg *)m)->seq == 5 ? 0 : 12;
}

TEST_F(ring, empty_ring_blocks)
{
	struct shmdev_ring r;
	void *p;

	ASSERT_EQ(0, shmdev_ring_create(&r, self->devp, self->base, self->len, 0));
	self->pids[0] = sd_spawn(consumer_one, self);
	ASSERT_LT(0, self->pids[0]);
	ASSERT_TRUE(await_blocked(self, self->pids[0]));
	ASSERT_EQ(0, shmdev_ring_reserve(&r, 64, 0, &p));
	fill_msg(p, 64, 0, 5);
	ASSERT_EQ(0, shmdev_ring_commit(&r, p));
	EXPECT_TRUE(child_ok(self->pids[0]));
	self->pids[0] = 0;
}

/* Reserves a message, writes half of it, says so and waits to be killed. */
static int reserve_and_hang(void *p)
{
	FIXTURE_DATA(ring) *self = p;
	struct shmdev_ring r;
	void *m;

	if (shmdev_ring_attach(&r, self->devp, self->base, self->len))
		return 10;
	if (send_one(&r, 0, 0, 64))
		return 11;
	if (shmdev_ring_reserve(&r, 64, 0, &m))
		return 12;
	fill_msg(m, 64, 0, 1);
	memset(m, 0xee, 32);
	self->sh->ready = 1;
	for (;;)
		pause();
}

/* A dead producer's uncommitted reservation is skipped, never delivered. */
static void dead_reservation(struct __test_metadata *_metadata,
			     FIXTURE_DATA(ring) *self, uint32_t flags)
{
	struct shmdev_ring c;
	const void *m;
	size_t len;

	ASSERT_EQ(0, shmdev_ring_create(&c, self->devp, self->base, self->len, flags));
	self->pids[0] = sd_spawn(reserve_and_hang, self);
	ASSERT_LT(0, self->pids[0]);
	for (int i = 0; i < 10000 && !self->sh->ready; i++)
		usleep(1000);
	ASSERT_NE(0U, self->sh->ready);
	ASSERT_EQ(0, shmdev_ring_peek(&c, 0, &m, &len));
	EXPECT_EQ(0ULL, ((const struct msg *)m)->seq);
	ASSERT_EQ(0, shmdev_ring_release(&c, m));
	/* Its producer lives: the reservation is waited for. */
	EXPECT_EQ(-ETIMEDOUT, shmdev_ring_peek(&c, 50000000, &m, &len));
	kill(self->pids[0], SIGKILL);
	/*
	 * A restarted producer's messages come, after the skipped one; the
	 * dead one is not reaped yet: a zombie counts as dead.
	 */
	{
		struct prod_arg a = { .self = self, .first = 2, .count = 3, .size = 64 };

		self->pids[1] = sd_spawn(producer, &a);
		ASSERT_LT(0, self->pids[1]);
	}
	for (uint64_t s = 2; s < 5; s++) {
		ASSERT_EQ(0, shmdev_ring_peek(&c, 20 * SEC, &m, &len));
		EXPECT_TRUE(check_msg(m, len));
		EXPECT_EQ(s, ((const struct msg *)m)->seq);
		ASSERT_EQ(0, shmdev_ring_release(&c, m));
	}
	EXPECT_EQ(-EAGAIN, shmdev_ring_peek(&c, 0, &m, &len));
	EXPECT_TRUE(child_ok(self->pids[1]));
	self->pids[1] = 0;
}

TEST_F(ring, dead_producer_reservation_skipped)
{
	dead_reservation(_metadata, self, 0);
}

TEST_F(ring, dead_producer_reservation_skipped_multi)
{
	dead_reservation(_metadata, self, SHMDEV_RING_MULTI_PRODUCER);
}

/* A producer that died holding the reservation word stops nobody. */
TEST_F(ring, dead_holder_taken_over)
{
	struct shmdev_ring r;
	uint64_t *word = (uint64_t *)((char *)self->base + 64);
	const void *m;
	size_t len;
	pid_t dead;
	void *p;

	ASSERT_EQ(0, shmdev_ring_create(&r, self->devp, self->base, self->len,
					SHMDEV_RING_MULTI_PRODUCER));
	dead = fork();
	ASSERT_LE(0, dead);
	if (!dead)
		_exit(0);
	ASSERT_TRUE(child_ok(dead));
	/* White box: the word is (position << 22) | holder's pid. */
	*word |= (uint64_t)dead;
	ASSERT_EQ(0, shmdev_ring_reserve(&r, 64, 0, &p));
	fill_msg(p, 64, 0, 9);
	ASSERT_EQ(0, shmdev_ring_commit(&r, p));
	ASSERT_EQ(0, shmdev_ring_peek(&r, 0, &m, &len));
	EXPECT_EQ(9ULL, ((const struct msg *)m)->seq);
	EXPECT_EQ(0ULL, *word & ((1 << 22) - 1));
}

/*
 * A live producer that holds the reservation word (stopped there) makes
 * the others wait, within their timeouts, until it lets go.
 */
TEST_F(ring, live_holder_waited_for)
{
	uint64_t *word = (uint64_t *)((char *)self->base + 64);
	struct shmdev_ring r;
	int64_t t0;
	void *p;

	ASSERT_EQ(0, shmdev_ring_create(&r, self->devp, self->base, self->len,
					SHMDEV_RING_MULTI_PRODUCER));
	self->pids[0] = fork();
	ASSERT_LE(0, self->pids[0]);
	if (!self->pids[0]) {
		for (;;)
			pause();
	}
	/* White box: the word is (position << 22) | holder's pid. */
	*word |= (uint64_t)self->pids[0];
	t0 = sd_now_ns();
	EXPECT_EQ(-EAGAIN, shmdev_ring_reserve(&r, 64, 0, &p));
	EXPECT_EQ(-ETIMEDOUT, shmdev_ring_reserve(&r, 64, 50000000, &p));
	EXPECT_GT(5 * SEC, (int64_t)sd_now_ns() - t0);
	/* It lets go after 100 ms: a waiting reservation then succeeds. */
	self->pids[1] = fork();
	ASSERT_LE(0, self->pids[1]);
	if (!self->pids[1]) {
		usleep(100000);
		__atomic_and_fetch(word, ~(uint64_t)((1 << 22) - 1), __ATOMIC_RELEASE);
		_exit(0);
	}
	ASSERT_EQ(0, shmdev_ring_reserve(&r, 64, 20 * SEC, &p));
	EXPECT_LE(100000000, (int64_t)sd_now_ns() - t0);
	EXPECT_TRUE(child_ok(self->pids[1]));
	self->pids[1] = 0;
}

/* Peeks at a message, says so and waits to be killed. */
static int peek_and_hang(void *p)
{
	FIXTURE_DATA(ring) *self = p;
	struct shmdev_ring c;
	const void *m;
	size_t len;

	if (shmdev_ring_attach(&c, self->devp, self->base, self->len))
		return 10;
	if (shmdev_ring_peek(&c, 20 * SEC, &m, &len) || !check_msg(m, len))
		return 11;
	self->sh->delivered = ((const struct msg *)m)->seq;
	self->sh->ready = 1;
	for (;;)
		pause();
}

/* A message peeked and not released is delivered again. */
TEST_F(ring, peeked_message_seen_again)
{
	struct shmdev_ring p, c;
	const void *m;
	size_t len;

	ASSERT_EQ(0, shmdev_ring_create(&p, self->devp, self->base, self->len, 0));
	for (uint64_t s = 0; s < 2; s++)
		ASSERT_EQ(0, send_one(&p, 0, s, 100));
	self->pids[0] = sd_spawn(peek_and_hang, self);
	ASSERT_LT(0, self->pids[0]);
	for (int i = 0; i < 10000 && !self->sh->ready; i++)
		usleep(1000);
	ASSERT_NE(0U, self->sh->ready);
	EXPECT_EQ(0ULL, self->sh->delivered);
	kill(self->pids[0], SIGKILL);
	waitpid(self->pids[0], NULL, 0);
	self->pids[0] = 0;
	ASSERT_EQ(0, shmdev_ring_attach(&c, self->devp, self->base, self->len));
	for (uint64_t s = 0; s < 2; s++) {
		ASSERT_EQ(0, shmdev_ring_peek(&c, 0, &m, &len));
		EXPECT_TRUE(check_msg(m, len));
		EXPECT_EQ(s, ((const struct msg *)m)->seq);
		ASSERT_EQ(0, shmdev_ring_release(&c, m));
	}
}

/* A producer that sends from sh->done + 2 on, forever, until killed. */
static int endless_producer(void *p)
{
	struct prod_arg *a = p;

	a->count = UINT64_MAX / 2;
	a->end = false;
	return producer(a);
}

/*
 * Kills the producer @victim (of @producers) at random points, and starts
 * it again each time from two past what it last said it committed (the
 * one in between may or may not have been committed when it died); the
 * consumer (this process) must get every committed message, whole, once,
 * in order.
 */
static void kill_producers(struct __test_metadata *_metadata, FIXTURE_DATA(ring) *self,
			   uint32_t flags, int producers, int kills)
{
	struct sd_rng rng;
	struct shmdev_ring c;
	long n;

	sd_rng_seed(&rng, sd_fresh_seed());
	ASSERT_EQ(0, shmdev_ring_create(&c, self->devp, self->base, self->len, flags));
	for (int i = 1; i < producers; i++) {
		struct prod_arg a = {
			.self = self, .producer = i, .first = 0, .count = 4000,
			.max = 3000, .end = true,
		};

		self->sh->done[i] = -1;
		self->pids[i] = sd_spawn(producer, &a);
		ASSERT_LT(0, self->pids[i]);
	}
	self->sh->done[0] = -1;
	self->pids[0] = fork();
	ASSERT_LE(0, self->pids[0]);
	if (!self->pids[0]) {
		/* Producer 0's parent: kills it @kills times, then lets it finish. */
		struct prod_arg a = { .self = self, .producer = 0, .max = 3000 };
		pid_t victim = sd_spawn(endless_producer, &a);

		for (int k = 0; victim > 0 && k < kills; k++) {
			uint64_t last;

			usleep(2000 + sd_rng_below(&rng, 20000));
			kill(victim, SIGKILL);
			waitpid(victim, NULL, 0);
			/*
			 * It committed up to what it recorded, or up to its
			 * first if it recorded nothing, and maybe one more.
			 */
			last = self->sh->done[0];
			if (last + 1 < a.first)
				last = a.first - 1;
			self->sh->maybe[self->sh->nr_maybe] = last + 1;
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			self->sh->nr_maybe++;
			a.first = last + 2;
			if (k == kills - 1) {
				a.count = 100;
				a.end = true;
				_exit(producer(&a));
			}
			victim = sd_spawn(endless_producer, &a);
		}
		_exit(1);
	}
	n = consume(_metadata, self, &c, producers, true, NULL);
	EXPECT_LT(0, n);
	EXPECT_EQ(0, sd_wait_all(self->pids, 8));
	memset(self->pids, 0, sizeof(self->pids));
	TH_LOG("%ld messages, producer 0 killed %d times", n, kills);
}

TEST_F(ring, kill_producer_mid_stream)
{
	kill_producers(_metadata, self, 0, 1, 20);
}

TEST_F(ring, kill_one_of_three_producers)
{
	kill_producers(_metadata, self, SHMDEV_RING_MULTI_PRODUCER, 3, 20);
}

/* A consumer that counts each seq it sees in sh->seen, until the end. */
static int counting_consumer(void *p)
{
	FIXTURE_DATA(ring) *self = p;
	struct shmdev_ring c;

	if (shmdev_ring_attach(&c, self->devp, self->base, self->len))
		return 10;
	for (;;) {
		const struct msg *m;
		const void *v;
		size_t len;
		int err = shmdev_ring_peek(&c, 60 * SEC, &v, &len);

		if (err == -EINTR)
			continue;
		if (err)
			return 11;
		m = v;
		if (!check_msg(v, len)) {
			self->sh->errors++;
			return 12;
		}
		if (m->seq == END_SEQ) {
			self->sh->got_end = 1;
			return shmdev_ring_release(&c, v) ? 13 : 0;
		}
		if (m->seq < sizeof(self->sh->seen) && self->sh->seen[m->seq] < 255)
			self->sh->seen[m->seq]++;
		if (shmdev_ring_release(&c, v))
			return 14;
	}
}

/*
 * Kills the consumer at random points and starts it again: every message
 * arrives whole, at least once; only a message being read when a consumer
 * died arrives twice, so no more than one per kill.
 */
TEST_F(ring, kill_consumer_mid_stream)
{
	const uint64_t count = 60000;
	struct prod_arg a = {
		.self = self, .count = count, .max = 600, .end = true,
	};
	struct shmdev_ring r;
	unsigned int twice = 0, kills = 0;
	struct sd_rng rng;

	sd_rng_seed(&rng, sd_fresh_seed());
	ASSERT_EQ(0, shmdev_ring_create(&r, self->devp, self->base, self->len, 0));
	self->sh->done[0] = -1;
	self->pids[0] = sd_spawn(producer, &a);
	ASSERT_LT(0, self->pids[0]);
	for (int k = 0; k < 200 && !self->sh->got_end; k++) {
		self->pids[1] = sd_spawn(counting_consumer, self);
		ASSERT_LT(0, self->pids[1]);
		if (k < 20) {
			usleep(1000 + sd_rng_below(&rng, 5000));
			kill(self->pids[1], SIGKILL);
			waitpid(self->pids[1], NULL, 0);
			kills++;
		} else {
			EXPECT_TRUE(child_ok(self->pids[1]));
		}
		self->pids[1] = 0;
	}
	EXPECT_NE(0U, self->sh->got_end);
	EXPECT_TRUE(child_ok(self->pids[0]));
	self->pids[0] = 0;
	EXPECT_EQ(0U, self->sh->errors);
	for (uint64_t s = 0; s < count; s++) {
		if (!self->sh->seen[s]) {
			TH_LOG("seq %llu never delivered", (unsigned long long)s);
			EXPECT_NE(0, self->sh->seen[s]);
			break;
		}
		if (self->sh->seen[s] > 2) {
			TH_LOG("seq %llu delivered %u times", (unsigned long long)s,
			       self->sh->seen[s]);
			EXPECT_GE(2, self->sh->seen[s]);
		}
		twice += self->sh->seen[s] == 2;
	}
	TH_LOG("%u consumers killed, %u messages delivered twice", kills, twice);
	EXPECT_GE(kills, twice);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libshmdev: the zero-copy message ring (see shmdev.h for the API and what
 * survives a crash).
 *
 * Shared state, all in the ring's memory:
 * - the header: magic, generation, size of the data area (in 8-byte
 *   units, a power of two), flags; then, each on its own cache line, the
 *   reservation word with the producers' "about to sleep" word, and the
 *   consumer's head with its own such word;
 * - records in the data area, each at an 8-byte unit: a 64-bit tag (the
 *   record's position and its state), the message's length and the pid
 *   of the producer that reserved it; then the message.
 *
 * Positions count 8-byte units from the ring's creation, modulo 2^42 (the
 * data area divides that, so a position's place in the data area never
 * jumps). The reservation word is (position << 22) | pid: the position
 * of the next reservation and, with several producers, the pid of the
 * producer that holds the word while it writes the headers of its
 * reservation (0: free). Pids are below 2^22 (PID_MAX_LIMIT).
 *
 * Reserving (the producer): take the word (a compare-and-swap that writes
 * its pid next to the position, with several producers), check the room
 * against the head, write a padding record when the message does not fit
 * before the end, write the record's header (state RESERVED), then store
 * the word with the new position and no pid (release). So every record
 * below the reservation position has a header that belongs to it, and a
 * producer that dies holding the word left nothing visible: whoever finds
 * the word held by a dead pid takes it over and reserves from the same
 * position. Committing is one release store of the tag (COMMITTED).
 *
 * Consuming: at the head, below the reservation position, a PAD record is
 * skipped; a COMMITTED one is delivered in place and released by one
 * release store of the new head; a RESERVED one is waited for, or skipped
 * once its producer is gone (the head moves past it, its bytes are never
 * read). The head moves only in the consumer's release or skip, so the
 * consumer's death at any point loses nothing; the producer's death at any
 * point leaves either no record or one RESERVED record that is skipped.
 *
 * Sleeping without lost wake-ups: a side that finds nothing to do reads
 * the region's sequence, sets its "about to sleep" word to a token of
 * that sequence (nonzero), full barrier, looks again, and only then waits
 * for the sequence to move. The other side publishes (commit or release),
 * full barrier, reads that word, and when it is set notifies, then clears
 * the word only if it still holds the token it read (compare-and-swap).
 * Either the sleeper sees the publication, or the publisher sees the word
 * and its notification moves the sequence past the value the sleeper
 * read. The word is cleared only after the notification: a publisher
 * killed between the two leaves it set, which costs one notification
 * more, never a sleeper that nobody will wake (clearing first, a consumer
 * killed there left a producer asleep for room while every later release
 * saw the word clear). A sleeper that announced itself again after the
 * notification read a later sequence, so a different token, which the
 * compare-and-swap leaves alone. Tokens keep 31 bits of the sequence: a
 * publisher would have to be stalled between its notification and its
 * compare-and-swap for 2^31 notifications to clear a newer announcement.
 */

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include "shmdev.h"

#define RING_MAGIC	0x676e697276656473ULL	/* "sdevring" */
#define RING_VERSION	1
#define HDR_SIZE	256
#define MIN_DATA	256

#define PID_BITS	22
#define PID_MASK	((1ULL << PID_BITS) - 1)
#define POS_BITS	42
#define POS_MASK	((1ULL << POS_BITS) - 1)

/* Record states, in the tag's low 3 bits. */
#define ST_PAD		1	/* padding up to the end of the data area */
#define ST_RESERVED	2
#define ST_COMMITTED	3

/* How long a reserved record at the head waits before its producer is looked for. */
#define STALL_NS	10000000LL
/* How long a ring without a device sleeps between looks. */
#define POLL_NS		50000LL
/* Rounds a producer waits for the reservation word, then sleeps BUSY_NS. */
#define LOCK_SPINS	4096
#define BUSY_NS		1000000LL

struct ring_hdr {
	uint64_t magic;		/* RING_MAGIC once created */
	uint64_t gen;		/* odd while shmdev_ring_create() runs */
	uint64_t units;		/* 8-byte units of data: a power of two */
	uint32_t flags;
	uint32_t version;
	uint8_t pad0[32];
	uint64_t reserve;	/* (position << PID_BITS) | holder's pid */
	uint32_t prod_wait;	/* a producer may be asleep for room */
	uint8_t pad1[52];
	uint64_t head;		/* position of the oldest record not released */
	uint32_t cons_wait;	/* the consumer may be asleep for a message */
	uint8_t pad2[116];
};

struct ring_rec {
	uint64_t tag;		/* (position << 3) | state */
	uint32_t len;		/* bytes of message */
	int32_t pid;		/* producer that reserved it */
};

_Static_assert(sizeof(struct ring_hdr) == HDR_SIZE, "ring header size");
_Static_assert(sizeof(struct ring_rec) == 16, "record header size");

static inline struct ring_hdr *hdr(const struct shmdev_ring *ring)
{
	return ring->hdr;
}

static inline uint64_t tag_of(uint64_t pos, unsigned int state)
{
	return pos << 3 | state;
}

/* Units a record of @len bytes of message takes. */
static inline uint64_t rec_units(uint64_t len)
{
	return 2 + (len + 7) / 8;
}

static inline struct ring_rec *rec_at(const struct shmdev_ring *ring, uint64_t pos)
{
	return (struct ring_rec *)(ring->data + (pos & (ring->units - 1)) * 8);
}

static int64_t ring_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Is there a process @pid that is not a zombie? */
static bool pid_alive(int32_t pid)
{
	char path[32], buf[512], *p;
	ssize_t n;
	int fd;

	if (pid <= 0)
		return false;
	if (kill(pid, 0) && errno == ESRCH)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno != ENOENT;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return !(p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'));
}

/* Reads the header's geometry into @ring: 0 or -EBADMSG. */
static int load_geometry(struct shmdev_ring *ring)
{
	struct ring_hdr *h = hdr(ring);
	uint64_t units = __atomic_load_n(&h->units, __ATOMIC_RELAXED);
	uint32_t flags = __atomic_load_n(&h->flags, __ATOMIC_RELAXED);

	if (__atomic_load_n(&h->version, __ATOMIC_RELAXED) != RING_VERSION ||
	    units < MIN_DATA / 8 || (units & (units - 1)) || units > (POS_MASK >> 1) ||
	    units > (ring->len - HDR_SIZE) / 8 || (flags & ~SHMDEV_RING_MULTI_PRODUCER))
		return -EBADMSG;
	ring->units = units;
	ring->flags = flags;
	return 0;
}

/*
 * Follows a creation of the ring since this handle last looked: forgets
 * the peeked message. 0, -EAGAIN while one runs, -EBADMSG.
 */
static int sync_gen(struct shmdev_ring *ring, uint64_t *gen)
{
	struct ring_hdr *h = hdr(ring);
	uint64_t g = __atomic_load_n(&h->gen, __ATOMIC_ACQUIRE);
	int err;

	*gen = g;
	if (g & 1)
		return -EAGAIN;
	if (g == ring->gen)
		return 0;
	if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != RING_MAGIC)
		return -EAGAIN;
	err = load_geometry(ring);
	if (err)
		return err;
	ring->gen = g;
	ring->peeked = NULL;
	ring->stall_ns = 0;
	return 0;
}

static bool gen_moved(const struct shmdev_ring *ring, uint64_t gen)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(&hdr(ring)->gen, __ATOMIC_RELAXED) != gen;
}

static int attach_common(struct shmdev_ring *ring, struct shmdev *dev,
			 void *base, size_t len)
{
	if (!ring || !base || ((uintptr_t)base & 63) || len < HDR_SIZE + MIN_DATA)
		return -EINVAL;
	memset(ring, 0, sizeof(*ring));
	ring->dev = dev;
	ring->hdr = base;
	ring->len = len;
	ring->data = (unsigned char *)base + HDR_SIZE;
	ring->pid = getpid();
	return 0;
}

int shmdev_ring_create(struct shmdev_ring *ring, struct shmdev *dev,
		       void *base, size_t len, uint32_t flags)
{
	struct ring_hdr *h = base;
	uint64_t units, g;
	int err;

	if (flags & ~SHMDEV_RING_MULTI_PRODUCER)
		return -EINVAL;
	err = attach_common(ring, dev, base, len);
	if (err)
		return err;
	units = (len - HDR_SIZE) / 8;
	if (units > (POS_MASK >> 1))
		units = POS_MASK >> 1;
	while (units & (units - 1))
		units &= units - 1;

	/* Odd generation: attached processes keep off until it is even. */
	g = (__atomic_load_n(&h->gen, __ATOMIC_RELAXED) | 1) + 2;
	__atomic_store_n(&h->magic, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&h->gen, g, __ATOMIC_SEQ_CST);
	h->units = units;
	h->flags = flags;
	h->version = RING_VERSION;
	__atomic_store_n(&h->reserve, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&h->head, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&h->prod_wait, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&h->cons_wait, 0, __ATOMIC_RELAXED);
	/* No tag of an earlier ring may pass for one of this ring. */
	memset(ring->data, 0, units * 8);
	__atomic_store_n(&h->gen, g + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&h->magic, RING_MAGIC, __ATOMIC_SEQ_CST);
	ring->units = units;
	ring->flags = flags;
	ring->gen = g + 1;
	return dev ? shmdev_notify(dev, NULL) : 0;
}

int shmdev_ring_attach(struct shmdev_ring *ring, struct shmdev *dev,
		       void *base, size_t len)
{
	struct ring_hdr *h = base;
	uint64_t g;
	int err;

	err = attach_common(ring, dev, base, len);
	if (err)
		return err;
	if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != RING_MAGIC)
		return -ENOMSG;
	g = __atomic_load_n(&h->gen, __ATOMIC_ACQUIRE);
	if (g & 1)
		return -ENOMSG;
	err = load_geometry(ring);
	if (err)
		return err;
	ring->gen = g;
	return 0;
}

size_t shmdev_ring_max_msg(const struct shmdev_ring *ring)
{
	return ring->units * 8 / 2 - sizeof(struct ring_rec);
}

/*
 * After a publication (already stored): a full barrier, then a notification
 * if the other side said it may sleep (*@flag), and only then the word
 * cleared, unless a sleeper announced itself again meanwhile.
 */
static int wake_other(struct shmdev_ring *ring, uint32_t *flag)
{
	uint32_t token;
	int err;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	token = __atomic_load_n(flag, __ATOMIC_RELAXED);
	if (!token)
		return 0;
	err = ring->dev ? shmdev_notify(ring->dev, NULL) : 0;
	if (!err)
		__atomic_compare_exchange_n(flag, &token, 0, false,
					    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
	return err;
}

/* The deadline of a relative timeout: -1 for none. */
static int64_t deadline_of(int64_t timeout_ns)
{
	int64_t now;

	if (timeout_ns < 0)
		return -1;
	now = ring_now();
	return timeout_ns > INT64_MAX - now ? INT64_MAX : now + timeout_ns;
}

/*
 * Announces a sleep in *@flag and reads the sequence first: after this, a
 * look that finds nothing may sleep in ring_sleep(). The word holds a
 * token of the sequence read, so that a publisher that notified before
 * this announcement does not clear it (wake_other()).
 */
static uint64_t prepare_sleep(struct shmdev_ring *ring, uint32_t *flag)
{
	uint64_t seq = ring->dev ? shmdev_seq(ring->dev) : 0;

	__atomic_store_n(flag, (uint32_t)seq << 1 | 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return seq;
}

/*
 * Sleeps until the sequence moves past @seq, until @deadline (-ETIMEDOUT)
 * or, with @slice nonzero, for @slice ns at most (0: look again). Without a
 * device, sleeps POLL_NS at most.
 */
static int ring_sleep(struct shmdev_ring *ring, uint64_t seq, int64_t deadline, int64_t slice)
{
	int64_t now = ring_now(), t = -1;
	int err;

	if (deadline >= 0) {
		if (now >= deadline)
			return -ETIMEDOUT;
		t = deadline - now;
	}
	if (slice && (t < 0 || t > slice))
		t = slice;
	if (!ring->dev) {
		struct timespec ts = { 0, POLL_NS };

		if (t >= 0 && t < POLL_NS)
			ts.tv_nsec = t;
		nanosleep(&ts, NULL);
		return 0;
	}
	err = shmdev_wait(ring->dev, &seq, t);
	if (err == -ETIMEDOUT && (deadline < 0 || ring_now() < deadline))
		return 0;
	return err;
}

/* ---- the producer's side ------------------------------------------------ */

/*
 * Takes the reservation word (several producers): true, with the position
 * in *@pos; false when a live holder keeps it for LOCK_SPINS rounds (it
 * was stopped or preempted: the caller sleeps BUSY_NS and tries again).
 */
static bool lock_reserve(struct shmdev_ring *ring, uint64_t *pos)
{
	struct ring_hdr *h = hdr(ring);
	uint64_t w, mine = (uint64_t)ring->pid & PID_MASK;

	for (unsigned int spins = 1; spins <= LOCK_SPINS; spins++) {
		int32_t holder;

		w = __atomic_load_n(&h->reserve, __ATOMIC_ACQUIRE);
		holder = w & PID_MASK;
		/* A holder that died left nothing behind the position. */
		if ((!holder || (!(spins % 64) && !pid_alive(holder))) &&
		    __atomic_compare_exchange_n(&h->reserve, &w, (w & ~PID_MASK) | mine,
						false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
			*pos = w >> PID_BITS;
			return true;
		}
		if (spins % 16)
			__asm__ __volatile__("" ::: "memory");
		else
			sched_yield();
	}
	return false;
}

/* 0, or -EAGAIN (*@busy: the word is held), or another -errno. */
static int try_reserve(struct shmdev_ring *ring, size_t len, void **msg, bool *busy)
{
	struct ring_hdr *h = hdr(ring);
	bool multi = ring->flags & SHMDEV_RING_MULTI_PRODUCER;
	uint64_t need = rec_units(len), pos, off, pad, used, head, gen;
	struct ring_rec *rec;
	int err;

	err = sync_gen(ring, &gen);
	if (err)
		return err;
	if (!multi) {
		pos = __atomic_load_n(&h->reserve, __ATOMIC_RELAXED) >> PID_BITS;
	} else if (!lock_reserve(ring, &pos)) {
		*busy = true;
		return -EAGAIN;
	}
	off = pos & (ring->units - 1);
	pad = need > ring->units - off ? ring->units - off : 0;
	head = __atomic_load_n(&h->head, __ATOMIC_ACQUIRE);
	used = (pos - head) & POS_MASK;
	err = used > ring->units ? -EBADMSG : used + pad + need > ring->units ? -EAGAIN : 0;
	if (!err && gen_moved(ring, gen))
		err = -ESTALE;
	if (err) {
		if (multi)
			__atomic_store_n(&h->reserve, pos << PID_BITS, __ATOMIC_RELEASE);
		return err;
	}
	if (pad) {
		__atomic_store_n(&rec_at(ring, pos)->tag, tag_of(pos, ST_PAD), __ATOMIC_RELAXED);
		pos = (pos + pad) & POS_MASK;
	}
	rec = rec_at(ring, pos);
	rec->len = len;
	rec->pid = ring->pid;
	__atomic_store_n(&rec->tag, tag_of(pos, ST_RESERVED), __ATOMIC_RELAXED);
	/* Publishes the headers with the position (and frees the word). */
	__atomic_store_n(&h->reserve, ((pos + need) & POS_MASK) << PID_BITS, __ATOMIC_RELEASE);
	*msg = rec + 1;
	return 0;
}

int shmdev_ring_reserve(struct shmdev_ring *ring, size_t len,
			int64_t timeout_ns, void **msg)
{
	struct ring_hdr *h = hdr(ring);
	bool busy = false;
	int64_t deadline;
	int err;

	if (len > shmdev_ring_max_msg(ring))
		return -EMSGSIZE;
	err = try_reserve(ring, len, msg, &busy);
	if (err != -EAGAIN || !timeout_ns)
		return err;
	deadline = deadline_of(timeout_ns);
	for (;;) {
		uint64_t seq = prepare_sleep(ring, &h->prod_wait);

		busy = false;
		err = try_reserve(ring, len, msg, &busy);
		if (err != -EAGAIN)
			return err;
		err = ring_sleep(ring, seq, deadline, busy ? BUSY_NS : 0);
		if (err)
			return err;
	}
}

int shmdev_ring_commit(struct shmdev_ring *ring, void *msg)
{
	struct ring_rec *rec = (struct ring_rec *)msg - 1;
	uintptr_t at = (uintptr_t)rec - (uintptr_t)ring->data;
	uint64_t tag;

	if ((unsigned char *)rec < ring->data || at >= ring->units * 8 || (at & 7))
		return -EINVAL;
	tag = __atomic_load_n(&rec->tag, __ATOMIC_RELAXED);
	if ((tag & 7) != ST_RESERVED || ((tag >> 3) & (ring->units - 1)) != at / 8 ||
	    rec->pid != ring->pid)
		return -EINVAL;
	__atomic_store_n(&rec->tag, tag_of(tag >> 3, ST_COMMITTED), __ATOMIC_RELEASE);
	return wake_other(ring, &hdr(ring)->cons_wait);
}

/* ---- the consumer's side ------------------------------------------------ */

/* The record at the head moves it to @head: frees room for the producers. */
static int advance(struct shmdev_ring *ring, uint64_t head)
{
	struct ring_hdr *h = hdr(ring);

	__atomic_store_n(&h->head, head & POS_MASK, __ATOMIC_RELEASE);
	return wake_other(ring, &h->prod_wait);
}

/*
 * Is the reservation at @pos, of @pid, abandoned? True once it has been at
 * the head for STALL_NS and @pid is gone; looks at most every STALL_NS.
 */
static bool abandoned(struct shmdev_ring *ring, uint64_t pos, int32_t pid)
{
	int64_t now = ring_now();

	if (!ring->stall_ns || ring->stall_pos != pos) {
		ring->stall_pos = pos;
		ring->stall_ns = now;
		ring->checked_ns = now;
		return false;
	}
	if (now - ring->checked_ns < STALL_NS)
		return false;
	ring->checked_ns = now;
	return !pid_alive(pid);
}

/* 0 with the message at the head, -EAGAIN (*@stalled: on a reservation). */
static int try_peek(struct shmdev_ring *ring, const void **msg, size_t *len, bool *stalled)
{
	struct ring_hdr *h = hdr(ring);

	for (;;) {
		uint64_t gen, head, pos, off, tag;
		struct ring_rec *rec;
		uint32_t rlen;
		int err;

		err = sync_gen(ring, &gen);
		if (err)
			return err;
		head = __atomic_load_n(&h->head, __ATOMIC_RELAXED);
		pos = __atomic_load_n(&h->reserve, __ATOMIC_ACQUIRE) >> PID_BITS;
		if (pos == head) {
			ring->stall_ns = 0;
			if (gen_moved(ring, gen))
				continue;
			return -EAGAIN;
		}
		off = head & (ring->units - 1);
		rec = rec_at(ring, head);
		tag = __atomic_load_n(&rec->tag, __ATOMIC_ACQUIRE);
		rlen = rec->len;
		if (((pos - head) & POS_MASK) > ring->units || (tag >> 3) != head ||
		    ((tag & 7) != ST_PAD && rec_units(rlen) > ring->units - off)) {
			if (gen_moved(ring, gen))
				continue;
			return -EBADMSG;
		}
		switch (tag & 7) {
		case ST_PAD:
			err = advance(ring, head + ring->units - off);
			if (err)
				return err;
			continue;
		case ST_COMMITTED:
			if (gen_moved(ring, gen))
				continue;
			ring->stall_ns = 0;
			ring->peeked = rec;
			*msg = rec + 1;
			*len = rlen;
			return 0;
		case ST_RESERVED:
			if (abandoned(ring, head, rec->pid) && !gen_moved(ring, gen)) {
				ring->stall_ns = 0;
				err = advance(ring, head + rec_units(rlen));
				if (err)
					return err;
				continue;
			}
			*stalled = true;
			return -EAGAIN;
		default:
			if (gen_moved(ring, gen))
				continue;
			return -EBADMSG;
		}
	}
}

int shmdev_ring_peek(struct shmdev_ring *ring, int64_t timeout_ns,
		     const void **msg, size_t *len)
{
	struct ring_hdr *h = hdr(ring);
	bool stalled = false;
	int64_t deadline;
	int err;

	err = try_peek(ring, msg, len, &stalled);
	if (err != -EAGAIN || !timeout_ns)
		return err;
	deadline = deadline_of(timeout_ns);
	for (;;) {
		uint64_t seq = prepare_sleep(ring, &h->cons_wait);

		stalled = false;
		err = try_peek(ring, msg, len, &stalled);
		if (err != -EAGAIN)
			return err;
		err = ring_sleep(ring, seq, deadline, stalled ? STALL_NS : 0);
		if (err)
			return err;
	}
}

int shmdev_ring_release(struct shmdev_ring *ring, const void *msg)
{
	struct ring_rec *rec = ring->peeked;
	struct ring_hdr *h = hdr(ring);
	uint64_t head, tag;

	if (!rec || msg != (const void *)(rec + 1))
		return -EINVAL;
	ring->peeked = NULL;
	if (__atomic_load_n(&h->gen, __ATOMIC_ACQUIRE) != ring->gen)
		return -ESTALE;
	head = __atomic_load_n(&h->head, __ATOMIC_RELAXED);
	tag = __atomic_load_n(&rec->tag, __ATOMIC_RELAXED);
	if (tag != tag_of(head, ST_COMMITTED) || rec != rec_at(ring, head))
		return -ESTALE;
	return advance(ring, head + rec_units(rec->len));
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The model shared by the two files of shmdev-fuzz: shmdev-fuzz.c (the
 * calls on files and mappings, and the data of each region) and
 * fuzz_names.c (named regions: SHMDEV_IOC_OPEN and SHMDEV_IOC_UNLINK, the
 * region files' fstat/ftruncate/fchmod/fchown, the listing and the
 * accounting).
 *
 * The model holds regions, files and mappings. A file or a mapping names
 * its region by index into m.reg[]; m.reg[0] is the default region of
 * /dev/shmdev. A named region's slot is in use while it has a name or a
 * file or mapping of the driver holds it; when neither is left the module
 * destroys it, and the model frees the slot.
 */

#ifndef SHMDEV_FUZZ_H
#define SHMDEV_FUZZ_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <linux/shmdev.h>

#include "shmdev_common.h"

#define NDEV		3	/* files of /dev/shmdev: f0 to f2 */
#define NFILES		7	/* and region files: f3 to f6 */
#define NMAPS		8	/* the driver's mappings */
#define NNAMES		6	/* names the fuzzer owns */
/* Every name, plus the unlinked regions its files and mappings may hold. */
#define NREGIONS	(1 + NNAMES + (NFILES - NDEV) + NMAPS)
#define SHADOW_PAGES	96	/* pages whose bytes the model knows */
#define BUF_SIZE	8192
#define NPAGEINFO	16
#define MAX_CHAOS	16

#define SHADOW_BYTES	((uint64_t)SHADOW_PAGES * psz)

/* Pointer arguments, good and bad. */
enum ptr_kind { P_BUF, P_NULL, P_HOLE, P_KERNEL, P_RO, P_STRADDLE };

struct region_model {
	bool used;
	bool autoremove;	/* created with SHMDEV_OPEN_AUTOREMOVE */
	bool nohuge;		/* created with SHMDEV_OPEN_NOHUGE */
	int name;		/* index of its name in m.names, or -1 */
	unsigned int serial;	/* r1, r2...: logs tell regions apart */
	uint32_t id;		/* the module's, learnt from GET_INFO; 0: not yet */
	uint64_t size, seq, seq0;
	uint32_t uid, gid, mode;
	uint32_t charged_uid;
	int nfiles_other;	/* files of the region not the driver's */
	char path[80];		/* "shmdev:NAME" of its files and mappings */
	unsigned char *shadow;
	bool resident[SHADOW_PAGES];
};

struct mfile {
	int fd;			/* -1: the slot is empty (region files only) */
	int reg;		/* its region */
	int mode;		/* O_RDONLY, O_WRONLY or O_RDWR */
	bool cloexec;
	uint64_t pos;
	uint64_t acked;		/* sequence the file acknowledged */
	unsigned int gen;	/* which file: a new one at each open */
};

struct mmap_model {
	char *p;		/* NULL: the slot is free */
	int reg;
	uint64_t pages;
	uint64_t pgoff;
	int prot;
	bool maywrite;		/* the file was open for writing */
	unsigned int gen;	/* the file it maps, which it keeps open */
};

/*
 * An outcome: a return value, an errno (ret -1), or a signal. @alt is a
 * second errno accepted where the documentation leaves the order of two
 * checks open.
 */
struct outcome {
	long long ret;
	int err;
	int alt;
	int sig;
};

struct fuzz_model {
	struct sd_rng rng;
	uint64_t seed;
	uint64_t max_size;
	struct region_model reg[NREGIONS];
	struct mfile file[NFILES];
	struct mmap_model map[NMAPS];
	unsigned int serials;
	bool root;
	mode_t umask;
	unsigned long calls;
	unsigned int gens;
	FILE *trace;
	char desc[400];
	unsigned char buf[BUF_SIZE] __attribute__((aligned(64)));
	struct shmdev_page_info pages[NPAGEINFO];
	pid_t chaos[MAX_CHAOS];
	int nchaos;
	volatile int *stop;

	/* Named regions (fuzz_names.c). */
	char prefix[32];		/* "shmdev-fuzz.PID.": this run's names */
	char names[NNAMES][SHMDEV_NAME_MAX];
	int linked[NNAMES];		/* the region of each name, or -1 */
	/* Accounting: what others hold, read at the start. */
	bool know_others;		/* debugfs was readable */
	uint64_t max_total, max_regions;
	uint64_t others_reserved;	/* bytes of all regions not ours */
	uint64_t others_regions;	/* regions not ours, the default one included */
	uint64_t user_reserved0;	/* the user's line before the run */
	uint64_t user_locked0;		/* its locked_vm pages */
	uint64_t memlock;		/* RLIMIT_MEMLOCK, bytes */
};

extern struct fuzz_model m;
extern long psz;

/* shmdev-fuzz.c */
uint64_t R(uint64_t n);
uint64_t pages_of(uint64_t bytes);
uint64_t reserved_of(const struct region_model *rg);
const char *mode_name(int mode);
bool can_read(int mode);
bool can_write(int mode);
void describe(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void __attribute__((noreturn, format(printf, 1, 2))) data_fail(const char *fmt, ...);
void check(const struct outcome *want, const struct outcome *got);
struct outcome ok(long long ret);
struct outcome error(int err);
void check_ret(struct outcome want, long long ret);
enum ptr_kind pick_ptr(void);
void *ptr_of(enum ptr_kind k, size_t need);
size_t readable(enum ptr_kind k, size_t need);
extern const char *const ptr_names[];
uint64_t random_size(void);
void model_resize(struct region_model *rg, uint64_t size);
int model_files(int reg);
int model_maps(int reg);
int model_resident(int reg);
const char *file_name(int fi);

/* fuzz_names.c */
int names_setup(void);
void names_finish(void);
void names_abandon(void);
void region_gc(void);
struct outcome resize_expect(const struct region_model *rg, uint64_t size);
void fuzz_open(int fi);
void fuzz_unlink(int fi);
void fuzz_names_op(void);
int pick_file(void);
void close_file(int fi);

#endif /* SHMDEV_FUZZ_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * shmdevctl info, size, pages and map: the state of a region and of its
 * pages, its size, and its pages mapped while a command runs.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shmdevctl.h"

/* ---- info --------------------------------------------------------------- */

/* "default,named,autoremove,nohuge", those set, or "-". */
static void info_flags(uint32_t f, char *buf, size_t len)
{
	static const struct { uint32_t bit; const char *name; } names[] = {
		{ SHMDEV_INFO_DEFAULT, "default" },
		{ SHMDEV_INFO_NAMED, "named" },
		{ SHMDEV_INFO_AUTOREMOVE, "autoremove" },
		{ SHMDEV_INFO_NOHUGE, "nohuge" },
	};
	size_t used = 0;

	snprintf(buf, len, "-");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (f & names[i].bit)
			used += snprintf(buf + used, len - used, "%s%s",
					 used ? "," : "", names[i].name);
}

/* @s as a JSON string: quotes, backslashes and control bytes escaped. */
static void json_string(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

int cmd_info(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const struct command *cmd = find_command("info");
	struct shmdev_info info;
	char a[32], b[32], flags[64];
	bool json = false;
	int o, err;

	while ((o = next_opt(cmd, argc, argv, "jh", opts)) != -1) {
		if (o == 'h')
			return EXIT_OK;
		if (o != 'j')
			return EXIT_USAGE;
		json = true;
	}
	if (optind < argc)
		return usage_error("info", "unexpected argument '%s'", argv[optind]);

	err = shmdev_get_info(&c->dev, &info);
	if (err)
		return fail("info", err);
	info_flags(info.flags, flags, sizeof(flags));
	if (json) {
		printf("{\"size\": %llu, \"max_size\": %llu, \"seq\": %llu, "
		       "\"nr_pages\": %llu, \"nr_mappings\": %u, \"nr_files\": %u, "
		       "\"id\": %u, ",
		       (unsigned long long)info.size, (unsigned long long)info.max_size,
		       (unsigned long long)info.seq, (unsigned long long)info.nr_pages,
		       info.nr_mappings, info.nr_files, info.id);
		if (c->name) {
			printf("\"name\": ");
			json_string(c->name);
			printf(", ");
		}
		printf("\"uid\": %u, \"gid\": %u, \"mode\": \"%04o\", \"charged_uid\": ",
		       info.uid, info.gid, info.mode);
		if (info.charged_uid == SHMDEV_UID_NONE)
			printf("null");
		else
			printf("%u", info.charged_uid);
		printf(", \"charged\": %llu, \"flags\": [", (unsigned long long)info.charged);
		for (char *f = flags, *comma; strcmp(f, "-"); f = comma + 1) {
			comma = strchr(f, ',');
			printf("%s\"%.*s\"", f == flags ? "" : ", ",
			       comma ? (int)(comma - f) : (int)strlen(f), f);
			if (!comma)
				break;
		}
		printf("]}\n");
		return EXIT_OK;
	}
	if (c->name) {
		char esc[4 * SHMDEV_NAME_MAX];

		shmdev_escape_name(c->name, esc, sizeof(esc));
		printf("name       %s\n", esc);
	}
	human_bytes(info.size, a, sizeof(a));
	human_bytes(info.max_size, b, sizeof(b));
	printf("size       %llu (%s)\n", (unsigned long long)info.size, a);
	printf("max_size   %llu (%s)\n", (unsigned long long)info.max_size, b);
	printf("seq        %llu\n", (unsigned long long)info.seq);
	human_bytes(info.nr_pages * (uint64_t)sysconf(_SC_PAGESIZE), a, sizeof(a));
	printf("pages      %llu (%s resident)\n", (unsigned long long)info.nr_pages, a);
	printf("mappings   %u\n", info.nr_mappings);
	printf("files      %u\n", info.nr_files);
	printf("id         %u\n", info.id);
	printf("uid        %u\n", info.uid);
	printf("gid        %u\n", info.gid);
	printf("mode       %04o\n", info.mode);
	if (info.charged_uid == SHMDEV_UID_NONE) {
		printf("charged    %llu (nobody)\n", (unsigned long long)info.charged);
	} else {
		human_bytes(info.charged, a, sizeof(a));
		printf("charged    %llu (%s) to uid %u\n",
		       (unsigned long long)info.charged, a, info.charged_uid);
	}
	printf("flags      %s\n", flags);
	return EXIT_OK;
}

/* ---- size --------------------------------------------------------------- */

int cmd_size(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const struct command *cmd = find_command("size");
	uint64_t size;
	int o, err;

	while ((o = next_opt(cmd, argc, argv, "h", opts)) != -1)
		return o == 'h' ? EXIT_OK : EXIT_USAGE;
	if (argc - optind > 1)
		return usage_error("size", "unexpected argument '%s'", argv[optind + 1]);
	if (optind == argc) {
		err = shmdev_get_size(&c->dev, &size);
		if (err)
			return fail("size", err);
		printf("%llu\n", (unsigned long long)size);
		return EXIT_OK;
	}
	err = parse_size_arg("size", "size", argv[optind], &size);
	if (err)
		return err;
	err = shmdev_set_size(&c->dev, size);
	if (err == -EFBIG) {
		fprintf(stderr, "shmdevctl: size: %llu is above the maximum (see 'shmdevctl info')\n",
			(unsigned long long)size);
		return EXIT_FAIL;
	}
	if (err) {
		fprintf(stderr, "shmdevctl: size: %s%s\n", strerror(-err), size_hint(err));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* ---- pages, map --------------------------------------------------------- */

/*
 * A page range: "N", "A-B" (inclusive) or "A-" (to the end). *last is
 * UINT64_MAX for an open end.
 */
static int parse_range(const char *cmd, const char *s, uint64_t *first,
		       uint64_t *last)
{
	const char *dash = strchr(s, '-');
	char head[32];

	if (!dash) {
		if (shmdev_parse_size(s, first) || strpbrk(s, "kKmMgGtTbB"))
			goto bad;
		*last = *first;
		return 0;
	}
	if ((size_t)(dash - s) >= sizeof(head))
		goto bad;
	memcpy(head, s, dash - s);
	head[dash - s] = '\0';
	if (shmdev_parse_size(head, first) || strpbrk(head, "kKmMgGtTbB"))
		goto bad;
	*last = UINT64_MAX;
	if (dash[1] && (shmdev_parse_size(dash + 1, last) ||
			strpbrk(dash + 1, "kKmMgGtTbB") || *last < *first))
		goto bad;
	return 0;
bad:
	return usage_error(cmd, "invalid page range '%s' (N, A-B or A-)", s);
}

/* Pages inside the size, for clamping a range. */
static int region_pages(struct ctx *c, uint64_t *pages)
{
	uint64_t size, psz = (uint64_t)sysconf(_SC_PAGESIZE);
	int err = shmdev_get_size(&c->dev, &size);

	if (!err)
		*pages = (size + psz - 1) / psz;
	return err;
}

static void page_flags(uint32_t f, char *buf, size_t len)
{
	static const struct { uint32_t bit; const char *name; } names[] = {
		{ SHMDEV_PAGE_UPTODATE, "uptodate" },
		{ SHMDEV_PAGE_DIRTY, "dirty" },
		{ SHMDEV_PAGE_LOCKED, "locked" },
		{ SHMDEV_PAGE_LRU, "lru" },
		{ SHMDEV_PAGE_UNEVICTABLE, "unevictable" },
		{ SHMDEV_PAGE_PMD_MAPPED, "pmd" },
	};
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (f & names[i].bit)
			used += snprintf(buf + used, len - used, "%s%s",
					 used ? "," : "", names[i].name);
}

int cmd_pages(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const struct command *cmd = find_command("pages");
	uint64_t first = 0, last = UINT64_MAX, pages, index;
	struct shmdev_page_info batch[256];
	char flags[64], pfn[24];
	int o, err;

	while ((o = next_opt(cmd, argc, argv, "h", opts)) != -1)
		return o == 'h' ? EXIT_OK : EXIT_USAGE;
	if (argc - optind > 1)
		return usage_error("pages", "unexpected argument '%s'", argv[optind + 1]);
	if (optind < argc) {
		err = parse_range("pages", argv[optind], &first, &last);
		if (err)
			return err;
	}
	err = region_pages(c, &pages);
	if (err)
		return fail("pages", err);

	printf("%-7s %-8s %8s %8s %5s  %-10s %s\n", "index", "resident",
	       "refcount", "mapcount", "order", "pfn", "flags");
	for (index = first; index <= last && index < pages;) {
		uint32_t n = sizeof(batch) / sizeof(batch[0]);

		err = shmdev_page_info(&c->dev, index, batch, &n);
		if (err)
			return fail("pages", err);
		if (!n)
			break;	/* the region shrank meanwhile */
		for (uint32_t i = 0; i < n && index <= last; i++, index++) {
			const struct shmdev_page_info *p = &batch[i];

			if (!(p->flags & SHMDEV_PAGE_RESIDENT)) {
				printf("%-7" PRIu64 " %s\n", index, "no");
				continue;
			}
			page_flags(p->flags, flags, sizeof(flags));
			if (p->pfn)
				snprintf(pfn, sizeof(pfn), "0x%" PRIx64, (uint64_t)p->pfn);
			else
				snprintf(pfn, sizeof(pfn), "-");
			printf("%-7" PRIu64 " %-8s %8u %8u %5u  %-10s %s\n", index,
			       "yes", p->refcount, p->mapcount, p->order, pfn, flags);
		}
	}
	return EXIT_OK;
}

int cmd_map(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "write", no_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const struct command *cmd = find_command("map");
	uint64_t first, last, pages, psz = (uint64_t)sysconf(_SC_PAGESIZE);
	bool write = false;
	volatile unsigned char *p;
	size_t len;
	int o, err, ret = EXIT_OK;

	/* "+": options end at the range, so COMMAND keeps its own. */
	while ((o = next_opt(cmd, argc, argv, "+wh", opts)) != -1) {
		if (o == 'h')
			return EXIT_OK;
		if (o != 'w')
			return EXIT_USAGE;
		write = true;
	}
	if (optind == argc)
		return usage_error("map", "%s", "missing page range");
	err = parse_range("map", argv[optind++], &first, &last);
	if (err)
		return err;
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;

	err = region_pages(c, &pages);
	if (err)
		return fail("map", err);
	if (first >= pages) {
		fprintf(stderr, "shmdevctl map: page %" PRIu64 " is beyond the size (%" PRIu64 " pages)\n",
			first, pages);
		return EXIT_FAIL;
	}
	if (last >= pages)
		last = pages - 1;

	/* Only the range: fault-around stays inside the mapping. */
	len = (last - first + 1) * psz;
	p = mmap(NULL, len, PROT_READ | (write ? PROT_WRITE : 0), MAP_SHARED,
		 c->dev.fd, first * psz);
	if (p == MAP_FAILED)
		return fail("mmap", -errno);
	/*
	 * A locked OR of 0 is a write access that changes nothing: the first
	 * access to the page is a write fault, not a read fault and then a
	 * write-protect fault.
	 */
	for (size_t off = 0; off < len; off += psz) {
		if (write)
			__atomic_fetch_or((unsigned char *)&p[off], 0, __ATOMIC_RELAXED);
		else
			(void)p[off];
	}
	if (optind < argc)
		ret = run_child(argv + optind);
	munmap((void *)p, len);
	return ret;
}

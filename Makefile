# SPDX-License-Identifier: GPL-2.0
#
#   make                build shmdev.ko for the running kernel, or, when its
#                       headers are absent, for Debian's 6.1 kernel
#   make KVER=6.12      build against one kernel of the test matrix
#   make KDIR=DIR       build against the kernel build tree in DIR
#   make check          run the selftests in a VM on every kernel of the matrix
#   make check-debug    the same, longer, on a debug kernel (KASAN, lockdep...)
#   make check-package  the Debian packages (make deb) installed with apt in a
#                       Debian 12 VM with systemd, on Debian's 6.1 and 6.12:
#                       DKMS, udev, the README's commands as a user
#   make selftests32    the selftests as 32-bit programs, in build/selftests32
#   make lint           checkpatch --strict, sparse and kernel-doc
#   make man            the man pages in build/man/ (rst2man, python3-docutils)
#   make bench          the benchmarks, in one VM (Debian's 6.12, 2 vCPUs,
#                       3 GiB), and the performance page's tables and plots
#                       regenerated from that run
#   make deb            the Debian packages (shmdev-dkms, libshmdev0,
#                       libshmdev-dev, shmdev-tools) in build/deb/, checked
#                       by lintian (report in build/deb/lintian.txt)
#   make install        on a machine without those packages: the module for
#                       the running kernel (or KDIR=...), the programs and
#                       library into PREFIX (/usr/local), the udev rule,
#                       the boot-time loading, the options file and the
#                       group shmdev; `make uninstall` takes them away
#   make clean          remove build/
#
# Everything built lands in build/.

SHELL := /bin/bash
TOP := $(CURDIR)
B := $(TOP)/build
S := $(TOP)/scripts

HOST_KDIR := /lib/modules/$(shell uname -r)/build
ifeq ($(origin KDIR),undefined)
ifeq ($(KVER),)
ifneq ($(wildcard $(HOST_KDIR)/Makefile),)
KDIR := $(HOST_KDIR)
else
KVER := 6.1
endif
endif
endif

.PHONY: all module userspace userspace-test selftests selftests32 check check-debug lint bench demo \
	install uninstall deb load unload clean setup man

all: module

setup:
	@$(S)/setup.sh

module:
ifneq ($(KDIR),)
	@SHMDEV_WERROR=0 $(S)/build-module.sh "$(KDIR)" >/dev/null
else
	@$(S)/setup.sh $(KVER)
	@. $(S)/lib.sh && kernel_env $(KVER) && \
		SHMDEV_WERROR=0 $(S)/build-module.sh "$$KDIR" >/dev/null
endif

# The library, the tools, the examples, benchmarks, fuzzer and the tests
# the VM runs: gcc and make only, static for the VM's busybox initramfs.
userspace:
	@$(MAKE) -s -C userspace OUT=$(B)/userspace WERROR=1 all

# The library's unit tests, on this machine (they need no module).
userspace-test:
	@$(MAKE) -s -C userspace OUT=$(B)/userspace WERROR=1 test

# The selftests build as they would in tools/testing/selftests/drivers/shmdev
# of a kernel tree, with that tree's lib.mk, and statically linked so that
# they run in the VM's busybox initramfs.
selftests:
	@ksrc=$$($(S)/ksrc.sh) && \
	dir=$$ksrc/tools/testing/selftests/drivers/shmdev && \
	mkdir -p $$dir $(B)/selftests && \
	cp -p selftests/* $$dir/ && \
	$(MAKE) -s -C $$dir OUTPUT=$(B)/selftests \
		KHDR_INCLUDES="-isystem $(TOP)/uapi" \
		USERCFLAGS=-Werror USERLDFLAGS=-static

# The same selftests as 32-bit x86 programs: their ioctls go through the
# module's compat path (compat_ptr_ioctl). Needs gcc-multilib. The
# harness prints pointers it compares through a cast to intmax_t, which
# is wider than a 32-bit pointer: that warning is the harness's. GCC's
# note that _Atomic 64-bit fields changed alignment in GCC 11 (-Wpsabi)
# concerns objects shared with code built by an older compiler: none.
selftests32:
	@ksrc=$$($(S)/ksrc.sh) && \
	dir=$$ksrc/tools/testing/selftests/drivers/shmdev && \
	mkdir -p $$dir $(B)/selftests32 && \
	cp -p selftests/* $$dir/ && \
	$(MAKE) -s -C $$dir OUTPUT=$(B)/selftests32 \
		KHDR_INCLUDES="-isystem $(TOP)/uapi" \
		USERCFLAGS="-Werror -m32 -Wno-pointer-to-int-cast -Wno-psabi" \
		USERLDFLAGS="-static -m32"

check:
	@$(S)/check.sh

# The suite, a longer stress and a fuzz run on the debug kernel (KASAN,
# lockdep, kmemleak...), built once from linux-source-6.12 (~13 minutes).
check-debug:
	@$(S)/check-debug.sh

# A Debian 12 root file system (mmdebstrap, cached in ~/.cache/shmdev)
# booted with systemd; see Documentation/dev-tools/shmdev-testing.rst.
.PHONY: check-package
check-package:
	@$(S)/check-package.sh

lint:
	@$(S)/lint.sh

# shmdevctl(1), shmdev(4), libshmdev(3) from Documentation/man/*.rst.
MAN_PAGES := shmdevctl.1 shmdev.4 libshmdev.3

man: $(addprefix $(B)/man/,$(MAN_PAGES))

$(B)/man/%: Documentation/man/%.rst
	@mkdir -p $(@D)
	rst2man --halt=warning $< $@

bench:
	@$(S)/bench.sh

demo:
	@$(S)/demo.sh

deb:
	@$(S)/deb.sh

# On a real machine, for the running kernel (or KDIR=...): the module into
# /lib/modules/<release>/updates, built without -Werror; the programs,
# linked to libshmdev.so.0, the library, headers and pkg-config file into
# $(PREFIX); the manual pages where Documentation/man has them; the files
# of packaging/ into $(SYSCONFDIR) (an edited modprobe.d file is kept);
# the system group shmdev. With DESTDIR, only the files are staged.
PREFIX ?= /usr/local
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
US_INSTALL := $(MAKE) -s -C userspace OUT=$(B)/userspace-shared STATIC=0 WERROR=0 \
	PREFIX=$(PREFIX) MANDIR=$(MANDIR)

install:
	@test -f "$(KDIR)/Makefile" || \
		{ echo "no kernel build tree at '$(KDIR)': install linux-headers-$$(uname -r) or set KDIR" >&2; exit 1; }
	@ko=$$(SHMDEV_WERROR=0 $(S)/build-module.sh "$(KDIR)") && \
	rel=$$(sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' "$(KDIR)/include/generated/utsrelease.h") && \
	install -D -m 644 $$ko $(DESTDIR)/lib/modules/$$rel/updates/shmdev.ko && \
	if [ -z "$(DESTDIR)" ]; then depmod -a $$rel; fi
	@$(US_INSTALL) install
	@if ! command -v rst2man >/dev/null; then \
		echo "rst2man (python3-docutils) not found: manual pages not installed" >&2; \
	else \
		for rst in Documentation/man/*.rst; do \
			page=$${rst##*/}; page=$${page%.rst}; \
			mkdir -p $(DESTDIR)$(MANDIR)/man$${page##*.} && \
			rst2man --halt=warning $$rst \
				$(DESTDIR)$(MANDIR)/man$${page##*.}/$$page || exit 1; \
		done; \
	fi
	@install -D -m 644 packaging/udev/60-shmdev.rules \
		$(DESTDIR)$(SYSCONFDIR)/udev/rules.d/60-shmdev.rules
	@install -D -m 644 packaging/modules-load.d/shmdev.conf \
		$(DESTDIR)$(SYSCONFDIR)/modules-load.d/shmdev.conf
	@conf=$(DESTDIR)$(SYSCONFDIR)/modprobe.d/shmdev.conf; \
	if [ -e $$conf ] && ! cmp -s $$conf packaging/modprobe.d/shmdev.conf; then \
		echo "$$conf was edited: kept"; \
	else \
		install -D -m 644 packaging/modprobe.d/shmdev.conf $$conf; \
	fi
	@if [ -z "$(DESTDIR)" ]; then \
		getent group shmdev >/dev/null || groupadd -r shmdev; \
		if command -v udevadm >/dev/null && [ -d /run/udev ]; then \
			udevadm control --reload || true; \
		fi; \
		echo "installed; users of the group shmdev may use /dev/shmdev: sudo usermod -aG shmdev USER"; \
	fi

# What install added, except the group (as the Debian packages do: files
# may still belong to it) and an edited modprobe.d file. The module is
# removed for every kernel `make install` put it in.
uninstall:
	@for ko in $(wildcard $(DESTDIR)/lib/modules/*/updates/shmdev.ko); do \
		rm -f $$ko; \
		rel=$${ko#$(DESTDIR)/lib/modules/}; rel=$${rel%%/*}; \
		if [ -z "$(DESTDIR)" ]; then depmod -a $$rel; fi; \
	done
	@$(US_INSTALL) uninstall
	@rm -f $(addprefix $(DESTDIR)$(MANDIR)/,man1/shmdevctl.1 man4/shmdev.4 man3/libshmdev.3)
	@rm -f $(DESTDIR)$(SYSCONFDIR)/udev/rules.d/60-shmdev.rules \
		$(DESTDIR)$(SYSCONFDIR)/modules-load.d/shmdev.conf
	@conf=$(DESTDIR)$(SYSCONFDIR)/modprobe.d/shmdev.conf; \
	if [ -e $$conf ] && ! cmp -s $$conf packaging/modprobe.d/shmdev.conf; then \
		echo "$$conf was edited: kept"; \
	else \
		rm -f $$conf; \
	fi
	@if [ -z "$(DESTDIR)" ] && getent group shmdev >/dev/null; then \
		echo "the group shmdev is kept: 'sudo groupdel shmdev' removes it"; \
	fi

load:
	@if modinfo shmdev >/dev/null 2>&1; then modprobe shmdev; \
	else insmod $$(SHMDEV_WERROR=0 $(S)/build-module.sh "$(KDIR)"); fi
	@ls -l /dev/shmdev

unload:
	rmmod shmdev

clean:
	rm -rf $(B)

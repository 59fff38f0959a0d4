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
#   make bench          the benchmarks, in one VM (Debian's 6.12, 2 vCPUs,
#                       3 GiB), and the performance page's tables and plots
#                       regenerated from that run
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
	install load unload clean setup

all: module

setup:
	@$(S)/setup.sh

module:
ifneq ($(KDIR),)
	@$(S)/build-module.sh "$(KDIR)" >/dev/null
else
	@$(S)/setup.sh $(KVER)
	@. $(S)/lib.sh && kernel_env $(KVER) && \
		$(S)/build-module.sh "$$KDIR" >/dev/null
endif

userspace:
	@ksrc=$$($(S)/ksrc.sh) && \
	$(MAKE) -s -C userspace OUT=$(B)/userspace \
		HARNESS=$$ksrc/tools/testing/selftests all vm-tests

# The library's unit tests, on this machine (they need no module).
userspace-test:
	@ksrc=$$($(S)/ksrc.sh) && \
	$(MAKE) -s -C userspace OUT=$(B)/userspace \
		HARNESS=$$ksrc/tools/testing/selftests test

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

bench:
	@$(S)/bench.sh

demo:
	@$(S)/demo.sh

# On a real machine, for the running kernel (or KDIR=...): the module into
# /lib/modules/<release>/updates, the userspace into $(PREFIX).
PREFIX ?= /usr/local

install:
	@test -f "$(KDIR)/Makefile" || \
		{ echo "no kernel build tree at '$(KDIR)': install linux-headers-$$(uname -r) or set KDIR" >&2; exit 1; }
	@ko=$$($(S)/build-module.sh "$(KDIR)") && \
	rel=$$(sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' "$(KDIR)/include/generated/utsrelease.h") && \
	install -D -m 644 $$ko $(DESTDIR)/lib/modules/$$rel/updates/shmdev.ko && \
	if [ -z "$(DESTDIR)" ]; then depmod -a $$rel; fi
	@$(MAKE) -s -C userspace OUT=$(B)/userspace PREFIX=$(PREFIX) install

load:
	@if modinfo shmdev >/dev/null 2>&1; then modprobe shmdev; \
	else insmod $$($(S)/build-module.sh "$(KDIR)"); fi
	@ls -l /dev/shmdev

unload:
	rmmod shmdev

clean:
	rm -rf $(B)

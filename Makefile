# Top-level build for the MOSIX-style cluster appliance.
#   make            build everything (warnings are errors)
#   make check      install missing build/test packages, build, run every test level
#   make ASAN=1 check   the same with AddressSanitizer + UBSan on our own code
#   make demo       the end-to-end demonstration (see README.md)
#   make bench      engine benchmarks       make bench-vm  VM bring-up time and memory
#   make lint       clang-format check      make analyze   cppcheck + clang-tidy

B       ?= build
V       ?= 0
Q        = $(if $(filter 1,$(V)),,@)
CC      ?= gcc
WARN     = -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wno-unused-parameter -Werror
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 $(WARN) -D_GNU_SOURCE -Iappliance/include -Iguestd -Iguestd/include -MMD -MP
LDLIBS   = -llzo2 -llz4 -lzstd -lsodium -lcrypto -lm
ifeq ($(ASAN),1)
  B      := build-asan
  CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer
  LDFLAGS += -fsanitize=address,undefined
endif

APPLIANCE_SRC = $(wildcard appliance/*.c)
# the engine (freeze, dump, restore, image), remote execution (home and
# body sides, forwarding), mosrun's job supervisor, the daemon; arch/ holds
# what knows x86-64
GUESTD_PARTS  = engine remote job daemon arch/x86_64
GUESTD_SRC    = $(foreach d,$(GUESTD_PARTS),$(wildcard guestd/$(d)/*.c))
GUESTD_ASM    = guestd/engine/stub/stub_blob.S
CMDS          = mosrun mosmigrate mosps mosctl guestd
PROGS_SRC     = $(wildcard tests/progs/*.c)
UNIT_SRC      = $(wildcard tests/unit/test_*.c)
BENCH_SRC     = $(wildcard tests/bench/*.c)
TOOLS_SRC     = $(wildcard tests/tools/*.c)

APPLIANCE_LIB = $(B)/libappliance.a
GUESTD_LIB    = $(B)/libguestd.a
STUB          = $(B)/stub/mosix-stub
BINS          = $(addprefix $(B)/bin/,$(CMDS))
PROGS         = $(patsubst tests/progs/%.c,$(B)/progs/%,$(PROGS_SRC))
UNITS         = $(patsubst tests/unit/%.c,$(B)/unit/%,$(UNIT_SRC))
BENCHES       = $(patsubst tests/bench/%.c,$(B)/bench/%,$(BENCH_SRC))
TOOLS         = $(patsubst tests/tools/%.c,$(B)/tools/%,$(TOOLS_SRC))

all: $(BINS) $(PROGS) $(UNITS) $(BENCHES) $(TOOLS)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC $<"
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(APPLIANCE_LIB): $(patsubst %.c,$(B)/%.o,$(APPLIANCE_SRC))
	@mkdir -p $(dir $@)
	@echo "  AR $@"
	$(Q)rm -f $@ && ar rcs $@ $^

# The restore stub runs before any of the restored program exists: no libc, no
# sanitizer, static, at a fixed low address.
$(STUB): guestd/engine/stub/stub.c
	@mkdir -p $(dir $@)
	@echo "  CC $@"
	$(Q)$(CC) -O2 -static -nostdlib -nostartfiles -fno-pie -no-pie -fno-stack-protector \
	  -fcf-protection=none -Wl,--build-id=none -Wl,-Ttext-segment=0x10000 -o $@ $<

$(B)/guestd/engine/stub/stub_blob.o: $(GUESTD_ASM) $(STUB)
	@mkdir -p $(dir $@)
	@echo "  CC $@"
	$(Q)$(CC) -c -DSTUB_PATH='"$(STUB)"' -o $@ $<

$(GUESTD_LIB): $(patsubst %.c,$(B)/%.o,$(GUESTD_SRC)) $(B)/guestd/engine/stub/stub_blob.o
	@mkdir -p $(dir $@)
	@echo "  AR $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/bin/%: $(B)/guestd/cmd/%.o $(GUESTD_LIB) $(APPLIANCE_LIB)
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(GUESTD_LIB) $(APPLIANCE_LIB) $(LDLIBS)

# x86-64 system call names for messages, from the system's headers: generated
# into $(B), never committed.
SYSCALL_HDR ?= /usr/include/x86_64-linux-gnu/asm/unistd_64.h
$(B)/gen/syscall_names.h: $(SYSCALL_HDR)
	@mkdir -p $(dir $@)
	@echo "  GEN $@"
	$(Q)sed -n 's/^#define __NR_\([a-z0-9_]*\) \([0-9]*\)$$/[\2] = "\1",/p' $< >$@.tmp && mv $@.tmp $@
$(B)/guestd/arch/x86_64/sysname.o: $(B)/gen/syscall_names.h
$(B)/guestd/arch/x86_64/sysname.o: CFLAGS += -I$(B)/gen

# Workload programs are what gets checkpointed: never sanitized. A _static
# suffix builds a static binary.
PROG_CFLAGS = -std=gnu11 -O1 -g -Wall -Wextra -Werror -D_GNU_SOURCE -Iguestd/include
$(B)/progs/%_static: tests/progs/%_static.c tests/progs/progs.h
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	$(Q)gcc $(PROG_CFLAGS) -static -o $@ $< -lm
$(B)/progs/%: tests/progs/%.c tests/progs/progs.h
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	$(Q)gcc $(PROG_CFLAGS) -o $@ $< -lm

LINK_CFLAGS = $(filter-out -MMD -MP,$(CFLAGS))
$(B)/unit/%: tests/unit/%.c $(GUESTD_LIB) $(APPLIANCE_LIB)
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	$(Q)$(CC) $(LINK_CFLAGS) $(LDFLAGS) -o $@ $< $(GUESTD_LIB) $(APPLIANCE_LIB) -lcmocka $(LDLIBS)

# These probes are migrated like workloads: never sanitized.
$(B)/tools/sandbox_probe $(B)/tools/sigprobe $(B)/tools/forkprobe: $(B)/tools/%: tests/tools/%.c
	@echo "  LD $@"
	@mkdir -p $(dir $@)
	$(Q)gcc $(PROG_CFLAGS) -o $@ $<

$(B)/tools/%: tests/tools/%.c $(GUESTD_LIB) $(APPLIANCE_LIB)
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	$(Q)$(CC) $(LINK_CFLAGS) $(LDFLAGS) -o $@ $< $(GUESTD_LIB) $(APPLIANCE_LIB) $(LDLIBS)

$(B)/bench/%: tests/bench/%.c tests/bench/bench.h $(GUESTD_LIB) $(APPLIANCE_LIB)
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	$(Q)$(CC) $(LINK_CFLAGS) $(LDFLAGS) -o $@ $< $(GUESTD_LIB) $(APPLIANCE_LIB) $(LDLIBS)

check:
	./ci/check.sh $(if $(filter 1,$(ASAN)),ASAN=1)

demo:
	./ci/demo.sh

bench: all
	./tests/bench/run.sh $(B)

# The appliance: bring-up time of 2, 3, 4 VMs and host memory per node (slow:
# boots real guests; not part of `make bench`).
bench-vm: all image
	./tests/bench/vm.sh $(B)

LINT_SRC = $(APPLIANCE_SRC) $(GUESTD_SRC) $(wildcard guestd/cmd/*.c monitor/*.c) $(filter-out build%, \
           $(wildcard */*.h */*/*.h */*/*/*.h)) $(UNIT_SRC) $(PROGS_SRC)
lint:
	clang-format --dry-run -Werror $(LINT_SRC)

analyze:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability --inline-suppr \
	  -Iappliance/include -Iguestd -Iguestd/include -Imonitor -D__x86_64__ appliance guestd monitor
	clang-tidy --quiet $(APPLIANCE_SRC) $(GUESTD_SRC) $(wildcard monitor/*.c) -- \
	  $(filter-out -MMD -MP,$(CFLAGS)) -Imonitor

clean:
	rm -rf build build-asan

.PHONY: all check demo bench bench-vm lint analyze clean
.SECONDARY:
-include hostctl/build.mk images/build.mk monitor/build.mk
-include $(patsubst %.c,$(B)/%.d,$(APPLIANCE_SRC) $(GUESTD_SRC) $(wildcard guestd/cmd/*.c))

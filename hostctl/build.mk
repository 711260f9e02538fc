# hostctl/build.mk: included by the top-level Makefile.
HOSTCTL_SRC  = $(wildcard hostctl/*.c)
HOSTCTL_OBJ  = $(patsubst %.c,$(B)/%.o,$(HOSTCTL_SRC))
HOSTCTL_LIB  = $(B)/libhostctl.a
HOSTCTL_LIBVIRT_CFLAGS := $(shell pkg-config --cflags libvirt 2>/dev/null)
HOSTCTL_LIBVIRT_LIBS   := $(shell pkg-config --libs libvirt 2>/dev/null || echo -lvirt)

all: $(B)/bin/hostctl

$(HOSTCTL_OBJ) $(B)/hostctl/cmd/hostctl.o: CFLAGS += -Ihostctl $(HOSTCTL_LIBVIRT_CFLAGS)

$(HOSTCTL_LIB): $(HOSTCTL_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(B)/bin/hostctl: $(B)/hostctl/cmd/hostctl.o $(HOSTCTL_LIB) $(APPLIANCE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(HOSTCTL_LIB) $(APPLIANCE_LIB) $(HOSTCTL_LIBVIRT_LIBS)

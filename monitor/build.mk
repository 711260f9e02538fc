# monitor/build.mk: mmon, the ncurses monitor (included by the top-level Makefile).
MONITOR_SRC  = $(filter-out monitor/mmon.c,$(wildcard monitor/*.c))
MONITOR_LIB  = $(B)/libmonitor.a
MONITOR_LIBS = -lncurses -ltinfo

all: $(B)/bin/mmon $(B)/unit/test_mmon

$(patsubst %.c,$(B)/%.o,$(MONITOR_SRC) monitor/mmon.c): CFLAGS += -Imonitor

$(MONITOR_LIB): $(patsubst %.c,$(B)/%.o,$(MONITOR_SRC))
	@mkdir -p $(dir $@)
	@echo "  AR $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/bin/mmon: $(B)/monitor/mmon.o $(MONITOR_LIB) $(GUESTD_LIB) $(APPLIANCE_LIB)
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(MONITOR_LIBS) $(LDLIBS)

# the drawing code's unit test links the monitor's library
$(B)/unit/test_mmon: tests/unit/test_mmon.c $(MONITOR_LIB) $(GUESTD_LIB) $(APPLIANCE_LIB)
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	$(Q)$(CC) $(LINK_CFLAGS) -Imonitor $(LDFLAGS) -o $@ $< $(MONITOR_LIB) $(GUESTD_LIB) \
	  $(APPLIANCE_LIB) -lcmocka $(MONITOR_LIBS) $(LDLIBS)

-include $(patsubst %.c,$(B)/%.d,$(MONITOR_SRC) monitor/mmon.c)

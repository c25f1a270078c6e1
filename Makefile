# orchsim - build, test, demo, bench, fuzz.
#
#   make            build build/orchsim (installs missing Debian packages first)
#   make test       unit tests (Criterion) + end-to-end tests
#   make SAN=1 test the same under AddressSanitizer + UndefinedBehaviorSanitizer (build-san/)
#   make demo       run the shipped scenarios, write results/ and plots
#   make bench      orchsim bench all
#   make fuzz       libFuzzer targets, FUZZ_SECONDS each (default 60)
#   make format     clang-format every source file

SAN ?= 0
ifeq ($(SAN),1)
BUILD   := build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
BUILD   := build
SANFLAGS :=
endif

CC ?= cc
FUZZ_SECONDS ?= 60

# Install missing dependencies before anything asks pkg-config for flags.
NODEPS_GOALS := clean format
ifneq ($(filter-out $(NODEPS_GOALS),$(or $(MAKECMDGOALS),all)),)
ifneq ($(shell scripts/deps.sh --check >/dev/null 2>&1 && echo ok),ok)
$(info orchsim: installing missing dependencies with scripts/deps.sh)
DEPS_RC := $(shell scripts/deps.sh >&2; echo $$?)
ifneq ($(DEPS_RC),0)
$(error scripts/deps.sh failed; run it by hand to see why)
endif
endif
endif

PKG_CFLAGS = $(shell pkg-config --cflags gsl libcjson)
PKG_LIBS   = $(shell pkg-config --libs gsl libcjson) -lcsv -lm
CRIT_CFLAGS = $(shell pkg-config --cflags criterion)
CRIT_LIBS   = $(shell pkg-config --libs criterion)

CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -pthread -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L -I. $(SANFLAGS)
LDFLAGS += -pthread $(SANFLAGS)

LIB_SRCS  := $(sort $(filter-out sim/main.c sim/sweep_mpi.c,$(wildcard sim/*.c models/*.c models/*/*.c)))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/%.o)
TEST_SRCS := $(sort $(wildcard tests/unit/*.c))
TEST_OBJS := $(TEST_SRCS:%.c=$(BUILD)/%.o)
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))

ORCHSIM := $(BUILD)/orchsim
TESTBIN := $(BUILD)/unit-tests

.PHONY: all test unit e2e demo bench fuzz clean format
# The MPI sweep launcher $(BUILD)/orchsim-mpi: built when mpicc exists, never
# in SAN builds (the sanitizers and MPI's runtime do not mix well).
MPICC := $(shell command -v mpicc 2>/dev/null)
ifneq ($(MPICC),)
ifneq ($(SAN),1)
ORCHSIM_MPI := $(BUILD)/orchsim-mpi
endif
endif

all: $(ORCHSIM) $(ORCHSIM_MPI)

$(BUILD)/mpi/%.o: %.c
	@mkdir -p $(dir $@)
	$(MPICC) $(CFLAGS) $(PKG_CFLAGS) -DORCHSIM_MPI -MMD -MP -c $< -o $@

$(BUILD)/orchsim-mpi: $(BUILD)/mpi/sim/main.o $(BUILD)/mpi/sim/sweep_mpi.o $(BUILD)/liborchsim.a
	$(MPICC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(CRIT_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/liborchsim.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(ORCHSIM): $(BUILD)/sim/main.o $(BUILD)/liborchsim.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(TESTBIN): $(TEST_OBJS) $(BUILD)/liborchsim.a
	$(CC) $(LDFLAGS) -o $@ $^ $(CRIT_LIBS) $(PKG_LIBS)

# Unit tests run from the project root so they can read scenarios/ and tests/data/.
unit: $(TESTBIN)
	$(TESTBIN) --jobs 2 --short-filename

e2e: $(ORCHSIM) $(ORCHSIM_MPI)
	ORCHSIM=$(ORCHSIM) tests/e2e/run.sh

test: unit e2e

demo: $(ORCHSIM)
	scripts/demo.sh $(ORCHSIM)

bench: $(ORCHSIM)
	$(ORCHSIM) bench all

# libFuzzer: each tests/fuzz/fuzz_NAME.c is one target, with its seed corpus in
# tests/fuzz/corpus/NAME/. New inputs go to build-fuzz/corpus/NAME, crashes to
# tests/fuzz/artifacts/.
FUZZ_CFLAGS := -std=c11 -g -O1 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L -I. \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
fuzz:
	@mkdir -p build-fuzz tests/fuzz/artifacts
	@set -e; for f in $(FUZZ_SRCS); do \
	  n=$$(basename $$f .c); n=$${n#fuzz_}; \
	  echo "== fuzz $$n ($(FUZZ_SECONDS) s)"; \
	  clang $(FUZZ_CFLAGS) $(PKG_CFLAGS) -o build-fuzz/fuzz_$$n $$f $(LIB_SRCS) $(PKG_LIBS); \
	  mkdir -p build-fuzz/corpus/$$n; \
	  build-fuzz/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 \
	    -artifact_prefix=tests/fuzz/artifacts/ build-fuzz/corpus/$$n tests/fuzz/corpus/$$n; \
	done

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-san build-fuzz

-include $(LIB_OBJS:.o=.d) $(TEST_OBJS:.o=.d) $(BUILD)/sim/main.d $(BUILD)/mpi/sim/main.d \
	$(BUILD)/mpi/sim/sweep_mpi.d

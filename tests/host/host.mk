# Host unit tests (cmocka, AddressSanitizer + UBSan).
# Each tests/host/<name>.mk adds one test:
#   HOST_TESTS += name
#   name_SRCS  := tests/host/test_name.c some/module.c
#   name_CFLAGS := -Iarch/arm64/include      (optional)
#   name_DEPS  := files the test reads at run time, built by make (optional)
HOST_CC      ?= cc
HOST_CFLAGS  := -std=c11 -g -O1 -Wall -Wextra -Werror -fno-omit-frame-pointer \
                -fsanitize=address,undefined -fno-sanitize-recover=all -I. -DHOST_TEST
HOST_LDLIBS  := -lcmocka
HOST_OUT     := build/host

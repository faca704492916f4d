# GICv3 ICC_SGI1R_EL1 encoding (target list + range selector).
HOST_TESTS += gic_sgi
gic_sgi_SRCS := tests/host/test_gic_sgi.c
gic_sgi_CFLAGS := -Iarch/arm64/include

HOST_TESTS += page_alloc
page_alloc_SRCS := tests/host/test_page_alloc.c mmu/page_alloc.c

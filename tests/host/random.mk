HOST_TESTS += random_model
random_model_SRCS := tests/host/test_random_model.c tests/model/model.c

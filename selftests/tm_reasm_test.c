// SPDX-License-Identifier: GPL-2.0
#include "kselftest_harness.h"
#include "tm_util.h"
TEST(placeholder) {}
TEST_HARNESS_MAIN

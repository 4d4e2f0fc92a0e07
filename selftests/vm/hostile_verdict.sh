#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hostile_verdict.sh - hostile.sh with the monitor inline and a verdict
# consumer that accepts every packet (MOS_HOSTILE_VERDICT=1, see there)

MOS_HOSTILE_VERDICT=1 exec "$(dirname "$0")/hostile.sh"

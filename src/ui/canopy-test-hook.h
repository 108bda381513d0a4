/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "canopy-window.h"

G_BEGIN_DECLS

/* For end-to-end tests and screenshots only: the application attaches it when
 * CANOPY_TEST_EVENTS=1, never otherwise. */
void canopy_test_hook_attach (CanopyWindow *window);

G_END_DECLS

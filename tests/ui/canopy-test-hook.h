/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "canopy-window.h"

G_BEGIN_DECLS

/* For end-to-end tests and screenshots only: canopy-test-app attaches it to each window the
 * application opens. It is never part of the installed app. */
void canopy_test_hook_attach (CanopyWindow *window);

G_END_DECLS

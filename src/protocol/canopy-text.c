/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyText"

#include "canopy-text.h"

#include <string.h>

/* Unicode hygiene for every string people show each other: chat text, display names, room
 * titles and summaries. It runs on every chat message at every hop, so it is one pass over the
 * text with a constant look-ahead, and allocates only its result. */

#define ZWNJ 0x200C
#define ZWJ 0x200D
#define WAVING_BLACK_FLAG 0x1F3F4
#define CANCEL_TAG 0xE007F
/* Enough for every script's stacks (Vietnamese, Hebrew and Arabic pointing, Indic vowel signs),
 * far too few for "Zalgo" text that paints over the lines around it. */
#define MARKS_MAX 4
/* A subdivision flag's tags spell a CLDR subdivision id: a region (2) and 1-4 more. */
#define TAG_SPEC_MAX 6

typedef enum {
  KIND_BASE,     /* a visible character: letter, digit, punctuation, symbol, emoji */
  KIND_SPACE,    /* a space separator */
  KIND_BREAK,    /* tab, line or paragraph break: becomes a space */
  KIND_MARK,     /* a combining mark */
  KIND_SELECTOR, /* the text and emoji variation selectors */
  KIND_JOINER,   /* ZWJ and ZWNJ */
  KIND_TAG,      /* a tag character */
  KIND_REMOVED,  /* invisible, unassigned or private: never kept */
} Kind;

static Kind
classify (gunichar c)
{
  if (c > 0x20 && c < 0x7F)
    return KIND_BASE;
  switch (c) {
  case ' ':
    return KIND_SPACE;
  case '\t':
  case '\n':
  case '\r':
  case 0x0085: /* NEXT LINE */
  case 0x2028: /* LINE SEPARATOR */
  case 0x2029: /* PARAGRAPH SEPARATOR */
    return KIND_BREAK;
  case ZWNJ:
  case ZWJ:
    return KIND_JOINER;
  case 0xFE0E:
  case 0xFE0F:
    return KIND_SELECTOR;
  /* Invisible although not format characters: the combining grapheme joiner (a mark), the
   * Hangul fillers (letters) and the object replacement character (for an object that a string
   * cannot carry). */
  case 0x034F:
  case 0x115F:
  case 0x1160:
  case 0x3164:
  case 0xFFA0:
  case 0xFFFC:
    return KIND_REMOVED;
  default:
    break;
  }
  if (c >= 0xE0020 && c <= CANCEL_TAG)
    return KIND_TAG;
  /* Noncharacters, which GLib calls unassigned; said here so that it does not depend on that. */
  if ((c >= 0xFDD0 && c <= 0xFDEF) || (c & 0xFFFE) == 0xFFFE)
    return KIND_REMOVED;
  switch (g_unichar_type (c)) {
  case G_UNICODE_CONTROL:
  case G_UNICODE_FORMAT:
  case G_UNICODE_UNASSIGNED:
  case G_UNICODE_PRIVATE_USE:
  case G_UNICODE_SURROGATE:
    return KIND_REMOVED;
  case G_UNICODE_SPACING_MARK:
  case G_UNICODE_ENCLOSING_MARK:
  case G_UNICODE_NON_SPACING_MARK:
    return KIND_MARK;
  case G_UNICODE_SPACE_SEPARATOR:
  case G_UNICODE_LINE_SEPARATOR:
  case G_UNICODE_PARAGRAPH_SEPARATOR:
    return KIND_SPACE;
  default:
    return KIND_BASE;
  }
}

/* The number of characters of the well-formed tag sequence at @p (1-6 tag digits or small
 * letters, then CANCEL TAG), or 0. */
static guint
tag_sequence_length (const char *p)
{
  for (guint n = 0; n <= TAG_SPEC_MAX; n++, p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);

    if (c == CANCEL_TAG)
      return n > 0 ? n + 1 : 0;
    if (!(c >= 0xE0030 && c <= 0xE0039) && !(c >= 0xE0061 && c <= 0xE007A))
      return 0;
  }
  return 0;
}

/**
 * canopy_text_sanitize:
 * @text: (nullable): untrusted text (%NULL is taken as "")
 *
 * Makes @text safe to show: valid UTF-8 (each invalid byte becomes U+FFFD), on one line,
 * without characters that hide, reorder or paint over text, while emoji sequences and
 * right-to-left text stay as they were, byte for byte. One pass, linear in the length.
 *
 * Becomes a space: tab, CR, LF, U+0085 NEXT LINE, U+2028 LINE SEPARATOR and U+2029 PARAGRAPH
 * SEPARATOR.
 *
 * Removed: controls (Cc); format characters (Cf) but ZWJ and ZWNJ, among them the bidirectional
 * overrides, embeddings and isolates (U+202A-U+202E, U+2066-U+2069), the marks LRM, RLM and ALM
 * (U+200E, U+200F, U+061C), ZERO WIDTH SPACE U+200B, WORD JOINER U+2060, the invisible operators
 * U+2061-U+2064, the deprecated format characters U+206A-U+206F, BOM/ZWNBSP U+FEFF, MONGOLIAN
 * VOWEL SEPARATOR U+180E, SOFT HYPHEN U+00AD and the interlinear annotation characters
 * U+FFF9-U+FFFB; the COMBINING GRAPHEME JOINER U+034F; the Hangul fillers U+115F, U+1160, U+3164
 * and U+FFA0; OBJECT REPLACEMENT CHARACTER U+FFFC; unassigned (as of GLib's Unicode tables),
 * private-use and noncharacter code points (U+FDD0-U+FDEF, U+xFFFE, U+xFFFF).
 *
 * Kept only in context (else removed):
 * - ZWJ U+200D and ZWNJ U+200C: only right between two visible characters of the text as sent
 *   (the one before may be a combining mark or a variation selector, as in an Indic virama or
 *   the rainbow flag; the one after must be a base character). Not at the start or the end, not
 *   next to a space, a removed character or another joiner: a doubled joiner goes altogether.
 *   ZWJ builds emoji sequences; ZWNJ is needed in Persian and Indic text.
 * - the variation selectors U+FE0E and U+FE0F: one, right after a base character.
 * - tag characters U+E0020-U+E007F: only as a whole subdivision flag right after U+1F3F4 WAVING
 *   BLACK FLAG (1-6 tag digits or small letters, then CANCEL TAG U+E007F, as in England's flag).
 * - combining marks (Mn, Mc, Me): at most 4 in a row on a visible base character; the rest of
 *   the run is dropped, as is a mark with no base (at the start, or after a space). Characters
 *   removed in between do not start a new run.
 *
 * Everything else is kept as it is: letters of every script with their marks (Arabic, Hebrew),
 * spaces, emoji, emoji modifiers U+1F3FB-U+1F3FF, regional indicators (flags). The ends are not
 * trimmed and markup is not escaped: callers strip where they need to, and escape where they
 * show the text.
 *
 * Returns: (transfer full): the cleaned text
 */
char *
canopy_text_sanitize (const char *text)
{
  g_autofree char *valid = NULL;
  const char *src = text != NULL ? text : "";
  const char *next;
  GString *out;
  guint marks = 0;             /* marks kept on the current base */
  gboolean on_base = FALSE;    /* the last kept character but marks is a base */
  gboolean after_base = FALSE; /* the last kept character is a base */
  gboolean joinable = FALSE;   /* the previous character was kept and is visible */
  guint tags_left = 0;         /* tags of a well-formed flag still to come */

  if (!g_utf8_validate (src, -1, NULL))
    src = valid = g_utf8_make_valid (src, -1);
  /* Nothing grows: a break of 1-3 bytes becomes one space. */
  out = g_string_sized_new (strlen (src));

  for (const char *p = src; *p; p = next) {
    gunichar c = g_utf8_get_char (p);
    Kind kind = classify (c);
    gboolean keep;

    next = g_utf8_next_char (p);
    switch (kind) {
    case KIND_BASE:
    case KIND_SPACE:
    case KIND_BREAK:
      keep = TRUE;
      break;
    case KIND_MARK:
      keep = on_base && marks < MARKS_MAX;
      break;
    case KIND_SELECTOR:
      keep = after_base;
      break;
    case KIND_JOINER:
      /* At the end, the NUL is a control: not a base. */
      keep = joinable && classify (g_utf8_get_char (next)) == KIND_BASE;
      break;
    case KIND_TAG:
      /* The look-ahead at the flag made sure these come right after it. */
      keep = tags_left > 0;
      if (keep)
        tags_left--;
      break;
    case KIND_REMOVED:
    default:
      keep = FALSE;
      break;
    }

    joinable = keep && kind != KIND_SPACE && kind != KIND_BREAK && kind != KIND_JOINER;
    /* What is removed leaves the characters around it next to each other. */
    if (!keep)
      continue;

    if (kind == KIND_BREAK)
      g_string_append_c (out, ' ');
    else
      g_string_append_len (out, p, next - p);

    after_base = kind == KIND_BASE;
    if (kind == KIND_MARK) {
      marks++;
    } else if (kind == KIND_BASE || kind == KIND_SPACE || kind == KIND_BREAK) {
      on_base = kind == KIND_BASE;
      marks = 0;
    }
    if (c == WAVING_BLACK_FLAG)
      tags_left = tag_sequence_length (next);
  }
  return g_string_free (out, FALSE);
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "canopy-text.h"

#include <string.h>

/* Sanitizes @in and expects @expected byte for byte; what comes out is valid UTF-8 and stays as
 * it is when sanitized again. */
static void
check (const char *in,
       const char *expected)
{
  g_autofree char *out = canopy_text_sanitize (in);
  g_autofree char *again = canopy_text_sanitize (out);

  g_assert_cmpstr (out, ==, expected);
  g_assert_true (g_utf8_validate (out, -1, NULL));
  g_assert_cmpstr (again, ==, out);
}

static char *
with_char (const char *before,
           gunichar    c,
           const char *after)
{
  GString *s = g_string_new (before);

  g_string_append_unichar (s, c);
  g_string_append (s, after);
  return g_string_free (s, FALSE);
}

/* @base, then @n marks cycling through U+0300-U+0333 (none of them removed). */
static char *
with_marks (const char *base,
            guint       n)
{
  GString *s = g_string_new (base);

  for (guint i = 0; i < n; i++)
    g_string_append_unichar (s, 0x0300 + i % 0x34);
  return g_string_free (s, FALSE);
}

static void
test_unchanged_before (void)
{
  /* What the sanitizer did before this file existed. */
  check ("hi\x01 there\nnew\x1b[31mline", "hi there new[31mline");
  check ("evil \xe2\x80\xae" "txt.exe", "evil txt.exe");
  check ("a\u202Ab\u202Bc\u202Cd\u202De\u2066f\u2067g\u2068h\u2069i", "abcdefghi");
  check ("\x7f\xc2\x80\xc2\x9b" "x", "x");
  /* Markup is the caller's business, and so are the ends. */
  check ("<b>&amp;</b>", "<b>&amp;</b>");
  check ("  two  spaces  ", "  two  spaces  ");
  check ("", "");
  check (NULL, "");
}

static void
test_breaks (void)
{
  check ("a\nb\tc\rd\xc2\x85" "e\u2028f\u2029g", "a b c d e f g");
  check ("\u2028hi\u2029", " hi ");
  check ("\r\n", "  ");
}

static void
test_removed (void)
{
  static const gunichar removed[] = {
    0x200B, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0x206A, 0x206B, 0x206C, 0x206D, 0x206E,
    0x206F, 0xFEFF, 0x180E, 0x034F, 0x00AD, 0x115F, 0x1160, 0x3164, 0xFFA0, 0xFFF9, 0xFFFA,
    0xFFFB, 0x200E, 0x200F, 0x061C, 0x202A, 0x202E, 0x2066, 0x2069, 0xFFFC,
    /* other format characters: Arabic number sign, language tag, a musical formatting char */
    0x0600, 0xE0001, 0x1D173,
    /* unassigned */
    0x0378, 0x0380, 0xE0080,
    /* private use */
    0xE000, 0xF8FF, 0xF0000, 0x10FFFD,
    /* noncharacters */
    0xFDD0, 0xFDEF, 0xFFFE, 0xFFFF, 0x1FFFE, 0x10FFFF,
    /* controls */
    0x01, 0x1B, 0x7F, 0x9B,
  };

  /* The test's own premises: these are what they are said to be. */
  g_assert_cmpint (g_unichar_type (0x0378), ==, G_UNICODE_UNASSIGNED);
  g_assert_cmpint (g_unichar_type (0xE0080), ==, G_UNICODE_UNASSIGNED);
  g_assert_cmpint (g_unichar_type (0xF0000), ==, G_UNICODE_PRIVATE_USE);
  g_assert_cmpint (g_unichar_type (0x1D173), ==, G_UNICODE_FORMAT);

  for (guint i = 0; i < G_N_ELEMENTS (removed); i++) {
    g_autofree char *middle = with_char ("a", removed[i], "b");
    g_autofree char *start = with_char ("", removed[i], "ab");
    g_autofree char *end = with_char ("ab", removed[i], "");
    g_autofree char *alone = with_char ("", removed[i], "");

    g_test_message ("U+%04X", removed[i]);
    check (middle, "ab");
    check (start, "ab");
    check (end, "ab");
    check (alone, "");
  }
  check ("\u200B\u2060\uFEFF\u00AD\u3164", "");
}

static void
test_marks (void)
{
  g_autofree char *zalgo = with_marks ("Z", 300);
  g_autofree char *zalgo_4 = with_marks ("Z", 4);
  g_autofree char *two = g_strconcat (zalgo, zalgo, NULL);
  g_autofree char *two_4 = g_strconcat (zalgo_4, zalgo_4, NULL);
  g_autofree char *five = with_marks ("e", 5);

  check (zalgo, zalgo_4);
  check (two, two_4);
  g_assert_cmpuint (strlen (zalgo_4), ==, 1 + 4 * 2);
  check (zalgo_4, zalgo_4);
  check (five, "e\u0300\u0301\u0302\u0303");
  /* Every kind of mark counts: nonspacing, enclosing, spacing. */
  check ("a\u20DD\u20DD\u20DD\u20DD\u20DD\u20DD", "a\u20DD\u20DD\u20DD\u20DD");
  check ("\u0915\u0903\u0903\u0903\u0903\u0903\u0903", "\u0915\u0903\u0903\u0903\u0903");
  /* No base: at the start, or after a space or a break. */
  check ("\u0301\u0301a", "a");
  check ("a \u0301b", "a b");
  check ("a\n\u0301b", "a b");
  check ("\u200B\u0301a", "a");
  /* A removed character does not start a new run. */
  check ("e\u0301\u0302\u0303\u200B\u0304\u0305\u0306", "e\u0301\u0302\u0303\u0304");
  /* Other variation selectors are marks like any other. */
  check ("\u845B\U000E0100", "\u845B\U000E0100");
}

static void
test_scripts (void)
{
  static const char *const texts[] = {
    "Ti\u1EBFng Vi\u1EC7t",                             /* Vietnamese, composed */
    "\u0939\u093F\u0928\u094D\u0926\u0940",             /* Hindi */
    "\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645", /* Persian, with its ZWNJ */
    "\u05E9\u05B8\u05C1\u05DC\u05D5\u05B9\u05DD \u05E2\u05D5\u05DC\u05DD", /* Hebrew, pointed */
    ("\u0645\u064E\u0631\u0652\u062D\u064E\u0628\u064B\u0627 \u0628\u0627\u0644\u0639\u0627\u0644"
     "\u0645"), /* Arabic, with harakat */
    "\u0915\u094D\u200D\u0937 \u0915\u094D\u200C\u0937", /* Devanagari half form and ZWNJ */
    "\u65E5\u672C\u8A9E \uD55C\uAD6D\uC5B4",             /* CJK, Hangul */
    "\u0E20\u0E32\u0E29\u0E32\u0E44\u0E17\u0E22",       /* Thai */
  };
  g_autofree char *vietnamese_nfd = g_utf8_normalize (texts[0], -1, G_NORMALIZE_NFD);

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    check (texts[i], texts[i]);
  /* Decomposed: e, circumflex, acute: two marks on one base. */
  g_assert_cmpstr (vietnamese_nfd, !=, texts[0]);
  check (vietnamese_nfd, vietnamese_nfd);
  g_assert_nonnull (strstr (texts[2], "\xe2\x80\x8c"));
}

static void
test_emoji (void)
{
  static const char *const sequences[] = {
    "\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466", /* family */
    "\U0001F3F3\uFE0F\u200D\U0001F308",                           /* rainbow flag */
    "\U0001F44D\U0001F3FD",                                       /* thumbs up, medium skin */
    "\U0001F1E9\U0001F1EA",                                       /* Germany */
    "\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F", /* England */
    "\U0001F469\U0001F3FD\u200D\u2695\uFE0F",                     /* health worker, skin tone */
    "\U0001F3F4\u200D\u2620\uFE0F",                               /* pirate flag */
    "#\uFE0F\u20E3",                                              /* keycap */
    "\u2764\uFE0F \u2764\uFE0E",
  };
  GString *all = g_string_new ("hi ");

  /* The literals hold what they say: 4 people, 3 joiners. */
  g_assert_cmpuint (strlen (sequences[0]), ==, 4 * 4 + 3 * 3);
  g_assert_cmpuint (strlen (sequences[4]), ==, 7 * 4);
  for (guint i = 0; i < G_N_ELEMENTS (sequences); i++) {
    check (sequences[i], sequences[i]);
    g_string_append (all, sequences[i]);
    g_string_append (all, i % 2 ? "!" : " ");
  }
  check (all->str, all->str);
  g_string_free (all, TRUE);
}

static void
test_joiners (void)
{
  check ("\u200Dab", "ab");
  check ("ab\u200D", "ab");
  check ("\u200Cab\u200C", "ab");
  check ("\u200D", "");
  check ("a\u200D\u200Db", "ab");
  check ("a\u200C\u200Cb", "ab");
  check ("a\u200D\u200Cb", "ab");
  check ("a \u200Db", "a b");
  check ("a\u200D b", "a b");
  check ("\U0001F468\u200D", "\U0001F468");
  check ("\u200D\U0001F468", "\U0001F468");
  /* Between two visible characters in the text as sent, not once others are gone. */
  check ("a\u200B\u200Db", "ab");
  check ("a\u200D\u200Bb", "ab");
  /* What follows must be a base: a mark then sits on the character before. */
  check ("a\u200D\u0301", "a\u0301");
}

static void
test_selectors (void)
{
  check ("\uFE0F", "");
  check ("\uFE0Fa", "a");
  check ("\u2764\uFE0F\uFE0F", "\u2764\uFE0F");
  check ("\u2764\uFE0F\uFE0E", "\u2764\uFE0F");
  check (" \uFE0Fx", " x");
  check ("e\u0301\uFE0F", "e\u0301");
}

static void
test_tags (void)
{
  /* Lone tags, at the start, the end and in the middle. */
  check ("\U000E0067\U000E0062ab", "ab");
  check ("a\U000E0067\U000E0062b", "ab");
  check ("ab\U000E0067\U000E007F", "ab");
  /* After another flag. */
  check ("\U0001F3F3\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F",
         "\U0001F3F3");
  /* After the black flag but not a flag: unterminated, empty, too long, upper case, not
   * right after it. */
  check ("\U0001F3F4\U000E0067\U000E0062x", "\U0001F3F4x");
  check ("\U0001F3F4\U000E0067\U000E0062", "\U0001F3F4");
  check ("\U0001F3F4\U000E007F", "\U0001F3F4");
  check ("\U0001F3F4\U000E0061\U000E0062\U000E0063\U000E0064\U000E0065\U000E0066\U000E0067"
         "\U000E007F",
         "\U0001F3F4");
  check ("\U0001F3F4\U000E0047\U000E0042\U000E007F", "\U0001F3F4");
  check ("\U0001F3F4\u200B\U000E0067\U000E0062\U000E007F", "\U0001F3F4");
  /* A flag then more tags: the flag stays, the rest goes. */
  check ("\U0001F3F4\U000E0067\U000E0062\U000E0077\U000E006C\U000E0073\U000E007F\U000E0067"
         "\U000E007F",
         "\U0001F3F4\U000E0067\U000E0062\U000E0077\U000E006C\U000E0073\U000E007F");
}

static void
test_invalid_utf8 (void)
{
  check ("bad \xff utf8", "bad \uFFFD utf8");
  check ("cut \xc3", "cut \uFFFD");
  /* Made valid first, then cleaned: a broken byte does not hide what follows. */
  check ("\xff\u200B\u0301", "\uFFFD\u0301");
}

static void
test_large (void)
{
  /* 1 MiB in each of the worst shapes: a quadratic pass would not finish in the test's time. */
  const gsize size = 1 << 20;
  g_autoptr (GString) marks = g_string_new ("Z");
  g_autoptr (GString) joiners = g_string_new ("a");
  g_autoptr (GString) mixed = g_string_new (NULL);
  g_autoptr (GString) mixed_expected = g_string_new (NULL);
  g_autoptr (GString) flags = g_string_new (NULL);
  g_autofree char *out = NULL;
  const char *unit = "a\u0301\u0302\u0303\u0304\u0305\u200B \U0001F468\u200D\U0001F469\u2028"
                     "\u202E<\U000E0067>\u200D\u200D ";
  const char *unit_expected = "a\u0301\u0302\u0303\u0304 \U0001F468\u200D\U0001F469 <> ";
  const char *england = "\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F";

  while (marks->len < size)
    g_string_append (marks, "\u0301");
  out = canopy_text_sanitize (marks->str);
  g_assert_cmpstr (out, ==, "Z\u0301\u0301\u0301\u0301");
  g_clear_pointer (&out, g_free);

  while (joiners->len < size)
    g_string_append (joiners, "\u200D");
  g_string_append_c (joiners, 'b');
  out = canopy_text_sanitize (joiners->str);
  g_assert_cmpstr (out, ==, "ab");
  g_clear_pointer (&out, g_free);

  while (mixed->len < size) {
    g_string_append (mixed, unit);
    g_string_append (mixed_expected, unit_expected);
  }
  out = canopy_text_sanitize (mixed->str);
  g_assert_cmpuint (strlen (out), ==, mixed_expected->len);
  g_assert_true (strcmp (out, mixed_expected->str) == 0);
  g_clear_pointer (&out, g_free);

  while (flags->len < size)
    g_string_append (flags, england);
  out = canopy_text_sanitize (flags->str);
  g_assert_true (strcmp (out, flags->str) == 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/text/unchanged-before", test_unchanged_before);
  g_test_add_func ("/text/breaks", test_breaks);
  g_test_add_func ("/text/removed", test_removed);
  g_test_add_func ("/text/marks", test_marks);
  g_test_add_func ("/text/scripts", test_scripts);
  g_test_add_func ("/text/emoji", test_emoji);
  g_test_add_func ("/text/joiners", test_joiners);
  g_test_add_func ("/text/selectors", test_selectors);
  g_test_add_func ("/text/tags", test_tags);
  g_test_add_func ("/text/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/text/large", test_large);
  return g_test_run ();
}

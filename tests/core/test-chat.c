/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "canopy-chat.h"
#include "canopy-json.h"

#include <string.h>

static CanopyChatMessage *
message_new (const char *origin,
             guint64     seq)
{
  CanopyChatMessage *m = g_new0 (CanopyChatMessage, 1);

  m->origin = g_strdup (origin);
  m->seq = seq;
  m->name = g_strdup (origin);
  m->time = 1763719200123;
  m->text = g_strdup_printf ("%s says %" G_GUINT64_FORMAT, origin, seq);
  m->hops = 1;
  return m;
}

static GPtrArray *
deliver_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) canopy_chat_message_free);
}

/* Receives (origin, seq) and checks the answer and which seqs were delivered. */
static void
receive (CanopyChat        *chat,
         const char        *origin,
         guint64            seq,
         CanopyChatReceive  expected,
         const guint64     *delivered,
         guint              n_delivered)
{
  g_autoptr (CanopyChatMessage) m = message_new (origin, seq);
  g_autoptr (GPtrArray) deliver = deliver_new ();

  g_assert_cmpint (canopy_chat_receive (chat, m, deliver), ==, expected);
  g_assert_cmpuint (deliver->len, ==, n_delivered);
  for (guint i = 0; i < n_delivered; i++) {
    CanopyChatMessage *d = g_ptr_array_index (deliver, i);

    g_assert_cmpstr (d->origin, ==, origin);
    g_assert_cmpuint (d->seq, ==, delivered[i]);
  }
}

#define NEW CANOPY_CHAT_RECEIVE_NEW
#define DUP CANOPY_CHAT_RECEIVE_DUPLICATE
#define SEQS(...) \
  (const guint64[]) { __VA_ARGS__ }, G_N_ELEMENTS (((const guint64[]) { __VA_ARGS__ }))
#define NONE NULL, 0

static JsonObject *
parse (const char *text)
{
  g_autoptr (GError) error = NULL;
  JsonObject *o = canopy_json_parse_object (text, -1, 1 << 16, &error);

  g_assert_no_error (error);
  return o;
}

static void
test_new (void)
{
  CanopyChat *chat = canopy_chat_new ("pself", 4096, 50);
  g_autoptr (GPtrArray) history = canopy_chat_get_history (chat);

  g_assert_true (CANOPY_IS_CHAT (chat));
  g_assert_cmpuint (history->len, ==, 0);
  g_assert_cmpuint (canopy_chat_get_n_origins (chat), ==, 0);
  g_assert_finalize_object (chat);
}

static void
test_compose (void)
{
  g_autoptr (CanopyChat) chat = canopy_chat_new ("pself", 4096, 50);
  g_autoptr (GError) error = NULL;
  g_autofree char *long_text = g_strnfill (CANOPY_CHAT_TEXT_CHARS + 1, 'x');
  g_autofree char *max_text = g_strnfill (CANOPY_CHAT_TEXT_CHARS, 'x');
  g_autofree char *long_name = g_strnfill (65, 'n');
  g_autoptr (GPtrArray) history = NULL;
  gint64 before = g_get_real_time () / 1000;

  for (guint64 seq = 1; seq <= 3; seq++) {
    g_autofree char *text = g_strdup_printf ("hello %" G_GUINT64_FORMAT, seq);
    g_autoptr (CanopyChatMessage) m = canopy_chat_compose (chat, "Ana", text, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (m->origin, ==, "pself");
    g_assert_cmpuint (m->seq, ==, seq);
    g_assert_cmpstr (m->name, ==, "Ana");
    g_assert_cmpstr (m->text, ==, text);
    g_assert_cmpuint (m->hops, ==, 0);
    g_assert_cmpint (m->time, >=, before);
    g_assert_cmpint (m->time, <=, g_get_real_time () / 1000);
  }

  /* Refused: nothing recorded, no seq used. */
  g_assert_null (canopy_chat_compose (chat, "Ana", long_text, &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_TOO_LARGE);
  g_clear_error (&error);
  g_assert_null (canopy_chat_compose (chat, "Ana", "", &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE);
  g_clear_error (&error);
  g_assert_null (canopy_chat_compose (chat, "Ana", "\x01\x02\x7f", &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE);
  g_clear_error (&error);
  g_assert_null (canopy_chat_compose (chat, "", "hi", &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE);
  g_clear_error (&error);
  g_assert_null (canopy_chat_compose (chat, long_name, "hi", &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_TOO_LARGE);
  g_clear_error (&error);
  g_assert_null (canopy_chat_compose (chat, "Ana", "bad \xff utf8", &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE);
  g_clear_error (&error);

  {
    g_autoptr (CanopyChatMessage) m = canopy_chat_compose (chat, "Ana\n", max_text, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (m->seq, ==, 4);
    g_assert_cmpstr (m->name, ==, "Ana ");
  }
  history = canopy_chat_get_history (chat);
  g_assert_cmpuint (history->len, ==, 4);
  g_assert_cmpstr (((CanopyChatMessage *) g_ptr_array_index (history, 0))->text, ==, "hello 1");
}

static void
test_parse_valid (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) json = parse (
    "{\"type\":\"chat\",\"origin\":\"p2x7kq9mzab\",\"seq\":12,\"name\":\"Ana\","
    "\"time\":1763719200123,\"text\":\"hello\",\"hops\":2,\"extra\":[1]}");
  g_autoptr (CanopyChatMessage) m = canopy_chat_message_new_from_json (json, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (m->origin, ==, "p2x7kq9mzab");
  g_assert_cmpuint (m->seq, ==, 12);
  g_assert_cmpstr (m->name, ==, "Ana");
  g_assert_cmpint (m->time, ==, 1763719200123);
  g_assert_cmpstr (m->text, ==, "hello");
  g_assert_cmpuint (m->hops, ==, 2);
}

/* One valid message with one member replaced (or removed, when @value is NULL). */
static char *
with_member (const char *member,
             const char *value)
{
  const char *names[] = { "type", "origin", "seq", "name", "time", "text", "hops" };
  const char *values[] = { "\"chat\"", "\"p2x7kq9mzab\"", "12", "\"Ana\"", "1763719200123",
                           "\"hello\"", "2" };
  GString *s = g_string_new ("{");

  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    const char *v = g_str_equal (names[i], member) ? value : values[i];

    if (v == NULL)
      continue;
    if (s->len > 1)
      g_string_append_c (s, ',');
    g_string_append_printf (s, "\"%s\":%s", names[i], v);
  }
  g_string_append_c (s, '}');
  return g_string_free (s, FALSE);
}

static void
test_parse_invalid (void)
{
  g_autofree char *n65 = g_strnfill (65, 'n');
  g_autofree char *n64 = g_strnfill (64, 'n');
  g_autofree char *p33 = g_strnfill (33, 'p');
  g_autofree char *x2000 = g_strnfill (CANOPY_CHAT_TEXT_CHARS, 'x');
  g_autofree char *x2001 = g_strnfill (CANOPY_CHAT_TEXT_CHARS + 1, 'x');
  g_autofree char *long_name = g_strdup_printf ("\"%s\"", n65);
  g_autofree char *name_64 = g_strdup_printf ("\"%s\"", n64);
  g_autofree char *long_origin = g_strdup_printf ("\"%s\"", p33);
  g_autofree char *long_text = g_strdup_printf ("\"%s\"", x2001);
  g_autofree char *max_text = g_strdup_printf ("\"%s\"", x2000);
  /* Length is checked before sanitizing: a control character still counts. */
  g_autofree char *long_text_with_control = g_strdup_printf ("\"\\u0001%s\"", x2000);
  g_autofree char *wide_text = NULL;
  GString *s = g_string_new ("\"");
  struct {
    const char *member;
    const char *value; /* NULL: left out */
    int code;          /* -1: valid */
  } cases[] = {
    { "type", "\"ping\"", CANOPY_ERROR_BAD_MESSAGE },
    { "type", NULL, CANOPY_ERROR_BAD_MESSAGE },
    { "type", "7", CANOPY_ERROR_BAD_MESSAGE },
    { "origin", NULL, CANOPY_ERROR_BAD_MESSAGE },
    { "origin", "\"\"", CANOPY_ERROR_BAD_MESSAGE },
    { "origin", "\"p x\"", CANOPY_ERROR_BAD_MESSAGE },
    { "origin", "\"<b>\"", CANOPY_ERROR_BAD_MESSAGE },
    { "origin", "42", CANOPY_ERROR_BAD_MESSAGE },
    { "origin", long_origin, CANOPY_ERROR_TOO_LARGE },
    { "seq", NULL, CANOPY_ERROR_BAD_MESSAGE },
    { "seq", "0", CANOPY_ERROR_BAD_MESSAGE },
    { "seq", "-1", CANOPY_ERROR_BAD_MESSAGE },
    { "seq", "9007199254740993", CANOPY_ERROR_BAD_MESSAGE },
    { "seq", "9007199254740992", -1 },
    { "seq", "\"12\"", CANOPY_ERROR_BAD_MESSAGE },
    { "seq", "1.5", CANOPY_ERROR_BAD_MESSAGE },
    { "name", NULL, CANOPY_ERROR_BAD_MESSAGE },
    { "name", "\"\"", CANOPY_ERROR_BAD_MESSAGE },
    { "name", "\"\\u0001\\u0002\"", CANOPY_ERROR_BAD_MESSAGE },
    { "name", long_name, CANOPY_ERROR_TOO_LARGE },
    { "name", name_64, -1 },
    { "name", "[]", CANOPY_ERROR_BAD_MESSAGE },
    { "time", NULL, CANOPY_ERROR_BAD_MESSAGE },
    { "time", "-1", CANOPY_ERROR_BAD_MESSAGE },
    { "time", "0", -1 },
    { "time", "9223372036854775807", -1 },
    { "time", "\"now\"", CANOPY_ERROR_BAD_MESSAGE },
    { "time", "1.5e12", CANOPY_ERROR_BAD_MESSAGE },
    { "text", NULL, CANOPY_ERROR_BAD_MESSAGE },
    { "text", "\"\"", CANOPY_ERROR_BAD_MESSAGE },
    { "text", "\"\\u0007\\u001b\\u009b\"", CANOPY_ERROR_BAD_MESSAGE },
    /* Nothing visible is no text either. */
    { "text", "\"\\u200b\\u200d\\u2060\\ufeff\\u0301\"", CANOPY_ERROR_BAD_MESSAGE },
    { "text", "null", CANOPY_ERROR_BAD_MESSAGE },
    { "text", "{}", CANOPY_ERROR_BAD_MESSAGE },
    { "text", long_text, CANOPY_ERROR_TOO_LARGE },
    { "text", long_text_with_control, CANOPY_ERROR_TOO_LARGE },
    { "text", max_text, -1 },
    { "text", NULL /* wide_text, set below */, -1 },
    { "hops", NULL, CANOPY_ERROR_BAD_MESSAGE },
    { "hops", "-1", CANOPY_ERROR_BAD_MESSAGE },
    { "hops", "1001", CANOPY_ERROR_BAD_MESSAGE },
    { "hops", "1000", -1 },
    { "hops", "true", CANOPY_ERROR_BAD_MESSAGE },
  };

  /* The limit is in characters, not bytes. */
  for (guint i = 0; i < CANOPY_CHAT_TEXT_CHARS; i++)
    g_string_append (s, "\xc3\xa9");
  g_string_append_c (s, '"');
  wide_text = g_string_free (s, FALSE);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    if (g_str_equal (cases[i].member, "text") && cases[i].value == NULL && cases[i].code < 0)
      cases[i].value = wide_text;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *text = with_member (cases[i].member, cases[i].value);
    g_autoptr (JsonObject) json = parse (text);
    g_autoptr (GError) error = NULL;
    g_autoptr (CanopyChatMessage) m = canopy_chat_message_new_from_json (json, &error);

    g_test_message ("case %u: %s", i, cases[i].member);
    if (cases[i].code < 0) {
      g_assert_no_error (error);
      g_assert_nonnull (m);
    } else {
      g_assert_null (m);
      g_assert_error (error, CANOPY_ERROR, cases[i].code);
    }
  }
}

static void
test_sanitize (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) json = parse (
    "{\"type\":\"chat\",\"origin\":\"pa\",\"seq\":1,\"name\":\"E\\u202evil\\u0000\","
    "\"time\":1,\"text\":\"hi\\u0001 there\\nnew\\u001b[31mline\\u2067\",\"hops\":0}");
  g_autoptr (CanopyChatMessage) m = canopy_chat_message_new_from_json (json, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (m->name, ==, "Evil");
  g_assert_cmpstr (m->text, ==, "hi there new[31mline");
}

static void
test_receive_in_order (void)
{
  g_autoptr (CanopyChat) chat = canopy_chat_new ("pself", 4096, 50);

  receive (chat, "pa", 1, NEW, SEQS (1));
  receive (chat, "pa", 2, NEW, SEQS (2));
  receive (chat, "pb", 1, NEW, SEQS (1));
  receive (chat, "pa", 3, NEW, SEQS (3));
  receive (chat, "pb", 2, NEW, SEQS (2));
  g_assert_cmpuint (canopy_chat_get_n_origins (chat), ==, 2);
}

static void
test_duplicates (void)
{
  g_autoptr (CanopyChat) chat = canopy_chat_new ("pself", 4096, 50);
  g_autoptr (CanopyChatMessage) own = canopy_chat_compose (chat, "Me", "hi", NULL);
  g_autoptr (GPtrArray) deliver = deliver_new ();

  receive (chat, "pa", 1, NEW, SEQS (1));
  receive (chat, "pa", 1, DUP, NONE);
  receive (chat, "pa", 2, NEW, SEQS (2));
  receive (chat, "pa", 1, DUP, NONE);
  receive (chat, "pa", 2, DUP, NONE);
  /* A waiting one seen twice. */
  receive (chat, "pa", 5, NEW, NONE);
  receive (chat, "pa", 5, DUP, NONE);

  /* Our own message coming back round, and a forged later one in our name. */
  g_assert_cmpint (canopy_chat_receive (chat, own, deliver), ==, DUP);
  receive (chat, "pself", 2, DUP, NONE);
  receive (chat, "pself", 100, DUP, NONE);
  g_assert_cmpuint (deliver->len, ==, 0);
}

static void
test_out_of_order (void)
{
  g_autoptr (CanopyChat) chat = canopy_chat_new ("pself", 4096, 50);

  receive (chat, "pa", 1, NEW, SEQS (1));
  receive (chat, "pa", 4, NEW, NONE);
  receive (chat, "pa", 3, NEW, NONE);
  receive (chat, "pa", 6, NEW, NONE);
  /* Others are not held up. */
  receive (chat, "pb", 7, NEW, SEQS (7));
  receive (chat, "pa", 2, NEW, SEQS (2, 3, 4));
  receive (chat, "pa", 5, NEW, SEQS (5, 6));
  receive (chat, "pa", 7, NEW, SEQS (7));
  receive (chat, "pa", 3, DUP, NONE);
}

/* Muted, then unmuted: what the origin said meanwhile went nowhere; forgotten, its stream
 * starts again at its next message instead of waiting for a gap nothing will fill. */
static void
test_forget_origin (void)
{
  g_autoptr (CanopyChat) chat = canopy_chat_new ("pself", 4096, 50);

  receive (chat, "pa", 1, NEW, SEQS (1));
  receive (chat, "pb", 1, NEW, SEQS (1));
  receive (chat, "pa", 5, NEW, NONE);
  canopy_chat_forget_origin (chat, "pa");
  canopy_chat_forget_origin (chat, "pnobody");
  receive (chat, "pa", 6, NEW, SEQS (6));
  receive (chat, "pa", 7, NEW, SEQS (7));
  /* Others are untouched. */
  receive (chat, "pb", 1, DUP, NONE);
  receive (chat, "pb", 2, NEW, SEQS (2));
}

static void
test_gap_skip (void)
{
  g_autoptr (CanopyChat) chat = canopy_chat_new ("pself", 4096, 50);
  g_autoptr (CanopyChatMessage) last = message_new ("pa", 2 + CANOPY_CHAT_BUFFERED_MAX);
  g_autoptr (GPtrArray) deliver = deliver_new ();

  /* 2 is lost: 3.. wait until the buffer is full, then go on without 2. */
  receive (chat, "pa", 1, NEW, SEQS (1));
  for (guint64 seq = 3; seq < 2 + CANOPY_CHAT_BUFFERED_MAX; seq++)
    receive (chat, "pa", seq, NEW, NONE);
  g_assert_cmpint (canopy_chat_receive (chat, last, deliver), ==, NEW);
  g_assert_cmpuint (deliver->len, ==, CANOPY_CHAT_BUFFERED_MAX);
  for (guint i = 0; i < deliver->len; i++)
    g_assert_cmpuint (((CanopyChatMessage *) g_ptr_array_index (deliver, i))->seq, ==, 3 + i);
  /* Too late now. */
  receive (chat, "pa", 2, DUP, NONE);
  receive (chat, "pa", 3 + CANOPY_CHAT_BUFFERED_MAX, NEW, SEQS (3 + CANOPY_CHAT_BUFFERED_MAX));

  /* Two gaps: only the first is given up; what waits behind the second keeps waiting. */
  receive (chat, "pb", 1, NEW, SEQS (1));
  for (guint64 seq = 3; seq < 2 + CANOPY_CHAT_BUFFERED_MAX; seq++)
    receive (chat, "pb", seq, NEW, NONE);
  g_clear_pointer (&deliver, g_ptr_array_unref);
  deliver = deliver_new ();
  {
    g_autoptr (CanopyChatMessage) after_gap = message_new ("pb", 3 + CANOPY_CHAT_BUFFERED_MAX);

    g_assert_cmpint (canopy_chat_receive (chat, after_gap, deliver), ==, NEW);
  }
  g_assert_cmpuint (deliver->len, ==, CANOPY_CHAT_BUFFERED_MAX - 1);
  g_assert_cmpuint (((CanopyChatMessage *) g_ptr_array_index (deliver, deliver->len - 1))->seq,
                    ==, 1 + CANOPY_CHAT_BUFFERED_MAX);
  receive (chat, "pb", 2 + CANOPY_CHAT_BUFFERED_MAX, NEW,
           SEQS (2 + CANOPY_CHAT_BUFFERED_MAX, 3 + CANOPY_CHAT_BUFFERED_MAX));
}

static void
test_late_joiner (void)
{
  g_autoptr (CanopyChat) chat = canopy_chat_new ("pself", 4096, 50);

  /* We join while pa is at 500: that is where its stream starts for us. */
  receive (chat, "pa", 500, NEW, SEQS (500));
  receive (chat, "pa", 499, DUP, NONE);
  receive (chat, "pa", 1, DUP, NONE);
  receive (chat, "pa", 502, NEW, NONE);
  receive (chat, "pa", 501, NEW, SEQS (501, 502));
}

static void
test_history (void)
{
  g_autoptr (CanopyChat) chat = canopy_chat_new ("pself", 4096, 5);
  g_autoptr (CanopyChat) none = canopy_chat_new ("pself", 4096, 0);
  g_autoptr (CanopyChatMessage) own = canopy_chat_compose (chat, "Me", "mine", NULL);
  g_autoptr (CanopyChatMessage) own2 = canopy_chat_compose (none, "Me", "mine", NULL);
  g_autoptr (GPtrArray) history = NULL;
  g_autoptr (GPtrArray) empty = NULL;
  const char *expected[][2] = {
    { "pb", "1" }, { "pa", "3" }, { "pa", "4" }, { "pself", "2" }, { "pa", "5" },
  };

  receive (chat, "pa", 1, NEW, SEQS (1));
  receive (chat, "pa", 2, NEW, SEQS (2));
  receive (chat, "pb", 1, NEW, SEQS (1));
  receive (chat, "pa", 4, NEW, NONE); /* waiting: not in the history yet */
  receive (chat, "pa", 3, NEW, SEQS (3, 4));
  g_clear_pointer (&own, canopy_chat_message_free);
  own = canopy_chat_compose (chat, "Me", "mine again", NULL);
  g_assert_cmpuint (own->seq, ==, 2);
  history = canopy_chat_get_history (chat);
  g_assert_cmpuint (history->len, ==, 5);
  g_clear_pointer (&history, g_ptr_array_unref);
  receive (chat, "pa", 5, NEW, SEQS (5));

  history = canopy_chat_get_history (chat);
  g_assert_cmpuint (history->len, ==, 5);
  for (guint i = 0; i < history->len; i++) {
    CanopyChatMessage *m = g_ptr_array_index (history, i);
    g_autofree char *seq = g_strdup_printf ("%" G_GUINT64_FORMAT, m->seq);

    g_assert_cmpstr (m->origin, ==, expected[i][0]);
    g_assert_cmpstr (seq, ==, expected[i][1]);
  }
  /* Copies: changing them changes nothing inside. */
  g_free (((CanopyChatMessage *) g_ptr_array_index (history, 0))->text);
  ((CanopyChatMessage *) g_ptr_array_index (history, 0))->text = g_strdup ("changed");
  g_clear_pointer (&history, g_ptr_array_unref);
  history = canopy_chat_get_history (chat);
  g_assert_cmpstr (((CanopyChatMessage *) g_ptr_array_index (history, 0))->text, ==,
                   "pb says 1");

  /* Keeping no history: neither its own message nor one received. */
  g_assert_nonnull (own2);
  receive (none, "pa", 1, NEW, SEQS (1));
  empty = canopy_chat_get_history (none);
  g_assert_cmpuint (empty->len, ==, 0);
}

static void
test_origins_bounded (void)
{
  const guint max = 4096;
  g_autoptr (CanopyChat) chat = canopy_chat_new ("pself", max, 50);
  g_autoptr (CanopyChat) small = canopy_chat_new ("pself", 2, 50);
  g_autoptr (GPtrArray) deliver = deliver_new ();

  receive (chat, "pkeep", 1, NEW, SEQS (1));
  for (guint i = 0; i < max + 100; i++) {
    g_autofree char *origin = g_strdup_printf ("p%u", i);

    receive (chat, origin, 1, NEW, SEQS (1));
    g_assert_cmpuint (canopy_chat_get_n_origins (chat), <=, max);
    /* pkeep stays active, so it is never the one to go. */
    if (i % 1000 == 0)
      receive (chat, "pkeep", 2 + i / 1000, NEW, SEQS (2 + i / 1000));
  }
  g_assert_cmpuint (canopy_chat_get_n_origins (chat), ==, max);
  receive (chat, "pkeep", 3, DUP, NONE);
  /* The least recently active went first: p0 is forgotten, so it starts over. */
  receive (chat, "p0", 1, NEW, SEQS (1));
  receive (chat, "p4195", 1, DUP, NONE);

  /* An origin forgotten with messages waiting delivers them rather than losing them. */
  receive (small, "pa", 1, NEW, SEQS (1));
  receive (small, "pa", 3, NEW, NONE);
  receive (small, "pa", 4, NEW, NONE);
  receive (small, "pb", 1, NEW, SEQS (1));
  {
    g_autoptr (CanopyChatMessage) m = message_new ("pc", 9);

    g_assert_cmpint (canopy_chat_receive (small, m, deliver), ==, NEW);
  }
  g_assert_cmpuint (deliver->len, ==, 3);
  g_assert_cmpstr (((CanopyChatMessage *) g_ptr_array_index (deliver, 0))->origin, ==, "pa");
  g_assert_cmpuint (((CanopyChatMessage *) g_ptr_array_index (deliver, 0))->seq, ==, 3);
  g_assert_cmpuint (((CanopyChatMessage *) g_ptr_array_index (deliver, 1))->seq, ==, 4);
  g_assert_cmpstr (((CanopyChatMessage *) g_ptr_array_index (deliver, 2))->origin, ==, "pc");
  g_assert_cmpuint (canopy_chat_get_n_origins (small), ==, 2);
}

static void
test_round_trip (void)
{
  g_autoptr (CanopyChatMessage) m = message_new ("p2x7kq9mzab", 12);
  g_autoptr (CanopyChatMessage) back = NULL;
  g_autoptr (CanopyChatMessage) boxed = NULL;
  g_autoptr (JsonObject) json = NULL;
  g_autoptr (JsonObject) reparsed = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;

  g_free (m->text);
  m->text = g_strdup ("héllo \"world\" \\ </script>");
  m->hops = 1000;
  json = canopy_chat_message_to_json (m);
  g_assert_cmpstr (json_object_get_string_member (json, "type"), ==, "chat");
  text = canopy_json_to_string (json);
  g_assert_cmpuint (strlen (text), <, 8 * 1024);
  reparsed = canopy_json_parse_object (text, -1, 8 * 1024, &error);
  g_assert_no_error (error);
  back = canopy_chat_message_new_from_json (reparsed, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (back->origin, ==, m->origin);
  g_assert_cmpuint (back->seq, ==, m->seq);
  g_assert_cmpstr (back->name, ==, m->name);
  g_assert_cmpint (back->time, ==, m->time);
  g_assert_cmpstr (back->text, ==, m->text);
  g_assert_cmpuint (back->hops, ==, m->hops);

  boxed = g_boxed_copy (CANOPY_TYPE_CHAT_MESSAGE, back);
  g_assert_true (boxed != back);
  g_assert_cmpstr (boxed->text, ==, m->text);
  canopy_chat_message_free (NULL);
}

/* Signed by the chat's own identity in one room: good there only, and only as it was. */
static void
test_signatures (void)
{
  g_autoptr (CanopyIdentity) ana = canopy_identity_new ();
  g_autoptr (CanopyIdentity) mallory = canopy_identity_new ();
  g_autoptr (CanopyChat) chat = canopy_chat_new (canopy_identity_get_id (ana), 16, 8);
  g_autoptr (CanopyChatMessage) m = NULL;
  g_autoptr (CanopyChatMessage) back = NULL;
  g_autoptr (CanopyChatMessage) other = NULL;
  g_autoptr (GPtrArray) history = NULL;
  g_autoptr (JsonObject) json = NULL;
  g_autoptr (GError) error = NULL;

  /* Not signed until a signer is set. */
  m = canopy_chat_compose (chat, "Ana", "unsigned", &error);
  g_assert_no_error (error);
  g_assert_null (m->signature);
  g_assert_false (canopy_chat_message_verify (m, "k7m2q9xa"));
  g_clear_pointer (&m, canopy_chat_message_free);

  canopy_chat_set_signer (chat, ana, "k7m2q9xa");
  m = canopy_chat_compose (chat, "Ana", "hello", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (m->key, ==, canopy_identity_get_public_key (ana));
  g_assert_true (canopy_chat_message_verify (m, "k7m2q9xa"));
  /* The history keeps the signature (it goes to new links as it is). */
  history = canopy_chat_get_history (chat);
  g_assert_true (canopy_chat_message_verify (g_ptr_array_index (history, history->len - 1),
                                             "k7m2q9xa"));

  /* Through JSON and back, hops counted on the way: still good. */
  m->hops = 3;
  json = canopy_chat_message_to_json (m);
  back = canopy_chat_message_new_from_json (json, &error);
  g_assert_no_error (error);
  g_assert_true (canopy_chat_message_verify (back, "k7m2q9xa"));

  /* Another room; each signed field changed; another key for the same origin. */
  g_assert_false (canopy_chat_message_verify (back, "zzzzzzzz"));
  g_assert_false (canopy_chat_message_verify (back, NULL));
  other = canopy_chat_message_copy (back);
  g_free (other->text);
  other->text = g_strdup ("hellO");
  g_assert_false (canopy_chat_message_verify (other, "k7m2q9xa"));
  g_clear_pointer (&other, canopy_chat_message_free);
  other = canopy_chat_message_copy (back);
  other->seq++;
  g_assert_false (canopy_chat_message_verify (other, "k7m2q9xa"));
  g_clear_pointer (&other, canopy_chat_message_free);
  other = canopy_chat_message_copy (back);
  other->time++;
  g_assert_false (canopy_chat_message_verify (other, "k7m2q9xa"));
  g_clear_pointer (&other, canopy_chat_message_free);
  other = canopy_chat_message_copy (back);
  g_free (other->name);
  other->name = g_strdup ("Host");
  g_assert_false (canopy_chat_message_verify (other, "k7m2q9xa"));
  g_clear_pointer (&other, canopy_chat_message_free);
  /* Mallory signs Ana's words with her own key: the key is not the origin's. */
  other = canopy_chat_message_copy (back);
  g_free (other->key);
  other->key = g_strdup (canopy_identity_get_public_key (mallory));
  g_assert_false (canopy_chat_message_verify (other, "k7m2q9xa"));
  g_clear_pointer (&other, canopy_chat_message_free);
  other = canopy_chat_message_copy (back);
  g_clear_pointer (&other->signature, g_free);
  g_assert_false (canopy_chat_message_verify (other, "k7m2q9xa"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/chat/new", test_new);
  g_test_add_func ("/chat/compose", test_compose);
  g_test_add_func ("/chat/parse-valid", test_parse_valid);
  g_test_add_func ("/chat/parse-invalid", test_parse_invalid);
  g_test_add_func ("/chat/sanitize", test_sanitize);
  g_test_add_func ("/chat/receive-in-order", test_receive_in_order);
  g_test_add_func ("/chat/duplicates", test_duplicates);
  g_test_add_func ("/chat/out-of-order", test_out_of_order);
  g_test_add_func ("/chat/gap-skip", test_gap_skip);
  g_test_add_func ("/chat/forget-origin", test_forget_origin);
  g_test_add_func ("/chat/late-joiner", test_late_joiner);
  g_test_add_func ("/chat/history", test_history);
  g_test_add_func ("/chat/origins-bounded", test_origins_bounded);
  g_test_add_func ("/chat/round-trip", test_round_trip);
  g_test_add_func ("/chat/signatures", test_signatures);
  return g_test_run ();
}

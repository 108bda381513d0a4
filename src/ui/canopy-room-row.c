/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyRoomRow"

#include "canopy-room-row.h"

#include <glib/gi18n.h>
#include <string.h>

/* A room of the index: cover, title, summary, host and audience, and a Join button. Everything
 * shown came from the network and is shown as plain text. */
struct _CanopyRoomRow {
  GtkListBoxRow parent_instance;

  CanopyRoomItem *item;

  GtkStack *cover_stack;
  GtkPicture *cover_picture;
  GtkLabel *title_label;
  GtkLabel *summary_label;
  GtkLabel *meta_label;
  GtkButton *join_button;
};

G_DEFINE_FINAL_TYPE (CanopyRoomRow, canopy_room_row, GTK_TYPE_LIST_BOX_ROW)

enum {
  PROP_0,
  PROP_ITEM,
  N_PROPS
};

enum {
  SIGNAL_JOIN,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

#define COVER_MAX_BYTES 65536
#define COVER_MAX_SIDE 4096

static guint32
read_be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

/* The image's size from its header, so that a small file that decodes to a huge image is refused
 * before any decoder allocates for it. */
static gboolean
image_size (const guint8 *data,
            gsize         len,
            guint        *width,
            guint        *height)
{
  if (len >= 24 && memcmp (data, "\x89PNG\r\n\x1a\n", 8) == 0 && memcmp (data + 12, "IHDR", 4) == 0) {
    *width = read_be32 (data + 16);
    *height = read_be32 (data + 20);
    return TRUE;
  }
  if (len >= 4 && data[0] == 0xff && data[1] == 0xd8) {
    gsize i = 2;

    /* Walk the JPEG segments to the first start-of-frame marker. */
    while (i + 4 <= len) {
      guint8 marker;
      gsize seg;

      if (data[i] != 0xff)
        return FALSE;
      marker = data[i + 1];
      if (marker == 0xff) {
        i++;
        continue;
      }
      seg = ((gsize) data[i + 2] << 8) | data[i + 3];
      if (seg < 2)
        return FALSE;
      if (marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc) {
        if (i + 9 > len)
          return FALSE;
        *height = ((guint) data[i + 5] << 8) | data[i + 6];
        *width = ((guint) data[i + 7] << 8) | data[i + 8];
        return TRUE;
      }
      i += 2 + seg;
    }
  }
  return FALSE;
}

/**
 * canopy_cover_texture_from_data_url:
 * @url: (nullable): an untrusted cover, `data:image/png|jpeg;base64,...`
 * @error: return location for an error
 *
 * Decodes a room cover with size limits: at most 64 KiB of image and 4096 pixels a side.
 *
 * Returns: (transfer full) (nullable): the texture, or %NULL with @error set
 */
GdkTexture *
canopy_cover_texture_from_data_url (const char  *url,
                                    GError     **error)
{
  static const char *const prefixes[] = {
    "data:image/png;base64,", "data:image/jpeg;base64,",
  };
  const char *b64 = NULL;
  g_autofree guint8 *data = NULL;
  g_autoptr (GBytes) bytes = NULL;
  gsize len = 0;
  guint width = 0, height = 0;

  if (url == NULL)
    goto bad;
  for (guint i = 0; i < G_N_ELEMENTS (prefixes); i++)
    if (g_str_has_prefix (url, prefixes[i]))
      b64 = url + strlen (prefixes[i]);
  if (b64 == NULL || strlen (b64) > (COVER_MAX_BYTES / 3 + 1) * 4)
    goto bad;
  for (const char *p = b64; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '+' && *p != '/' && *p != '=')
      goto bad;
  data = g_base64_decode (b64, &len);
  if (len == 0 || len > COVER_MAX_BYTES || !image_size (data, len, &width, &height) ||
      width == 0 || height == 0 || width > COVER_MAX_SIDE || height > COVER_MAX_SIDE)
    goto bad;
  bytes = g_bytes_new_take (g_steal_pointer (&data), len);
  return gdk_texture_new_from_bytes (bytes, error);

bad:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "Not a cover image Canopy can show");
  return NULL;
}

static void
update_cover (CanopyRoomRow *self)
{
  const char *cover = canopy_room_item_get_cover (self->item);
  g_autoptr (GdkTexture) texture = NULL;

  if (cover != NULL)
    texture = canopy_cover_texture_from_data_url (cover, NULL);
  gtk_picture_set_paintable (self->cover_picture, GDK_PAINTABLE (texture));
  gtk_stack_set_visible_child_name (self->cover_stack, texture ? "cover" : "placeholder");
}

static void
update_text (CanopyRoomRow *self)
{
  const char *title = canopy_room_item_get_title (self->item);
  const char *summary = canopy_room_item_get_summary (self->item);
  const char *host = canopy_room_item_get_host (self->item);
  guint viewers = canopy_room_item_get_viewers (self->item);
  g_autofree char *watching = NULL;
  g_autofree char *meta = NULL;
  g_autofree char *join_label = NULL;

  watching = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u watching", "%u watching", viewers),
                              viewers);
  if (host != NULL && *host != '\0')
    /* Translators: "by HOST · N watching" */
    meta = g_strdup_printf (_("by %s · %s"), host, watching);
  else
    meta = g_strdup (watching);
  /* The room's rules, known before joining: the audience view asks for the password. */
  if (canopy_room_item_get_needs_password (self->item)) {
    g_autofree char *before = g_steal_pointer (&meta);

    /* Translators: the room's line, then "needs a password" */
    meta = g_strdup_printf (_("%s · %s"), before, _("needs a password"));
  }
  if (canopy_room_item_get_locked (self->item)) {
    g_autofree char *before = g_steal_pointer (&meta);

    /* Translators: the room's line, then "locked": the host lets no newcomers in */
    meta = g_strdup_printf (_("%s · %s"), before, _("locked"));
  }

  gtk_label_set_text (self->title_label, title);
  gtk_label_set_text (self->summary_label, summary);
  gtk_widget_set_visible (GTK_WIDGET (self->summary_label), summary != NULL && *summary != '\0');
  gtk_label_set_text (self->meta_label, meta);

  join_label = g_strdup_printf (_("Join “%s”"), title);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->join_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, join_label, -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, title,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, meta, -1);
}

static void
on_item_notify (CanopyRoomRow *self,
                GParamSpec    *pspec)
{
  if (g_strcmp0 (pspec->name, "cover") == 0)
    update_cover (self);
  else
    update_text (self);
}

static void
on_join_button_clicked (CanopyRoomRow *self)
{
  g_signal_emit (self, signals[SIGNAL_JOIN], 0);
}

static void
canopy_room_row_activate (GtkListBoxRow *row)
{
  g_signal_emit (row, signals[SIGNAL_JOIN], 0);
}

static void
canopy_room_row_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  CanopyRoomRow *self = CANOPY_ROOM_ROW (object);

  switch (prop_id) {
  case PROP_ITEM:
    g_value_set_object (value, self->item);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
canopy_room_row_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  CanopyRoomRow *self = CANOPY_ROOM_ROW (object);

  switch (prop_id) {
  case PROP_ITEM:
    self->item = g_value_dup_object (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
canopy_room_row_constructed (GObject *object)
{
  CanopyRoomRow *self = CANOPY_ROOM_ROW (object);

  G_OBJECT_CLASS (canopy_room_row_parent_class)->constructed (object);
  g_assert (self->item != NULL);
  g_signal_connect_object (self->item, "notify", G_CALLBACK (on_item_notify), self,
                           G_CONNECT_SWAPPED);
  update_text (self);
  update_cover (self);
}

static void
canopy_room_row_dispose (GObject *object)
{
  CanopyRoomRow *self = CANOPY_ROOM_ROW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), CANOPY_TYPE_ROOM_ROW);
  g_clear_object (&self->item);
  G_OBJECT_CLASS (canopy_room_row_parent_class)->dispose (object);
}

static void
canopy_room_row_class_init (CanopyRoomRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkListBoxRowClass *row_class = GTK_LIST_BOX_ROW_CLASS (klass);

  object_class->get_property = canopy_room_row_get_property;
  object_class->set_property = canopy_room_row_set_property;
  object_class->constructed = canopy_room_row_constructed;
  object_class->dispose = canopy_room_row_dispose;
  row_class->activate = canopy_room_row_activate;

  properties[PROP_ITEM] =
    g_param_spec_object ("item", NULL, NULL, CANOPY_TYPE_ROOM_ITEM,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * CanopyRoomRow::join:
   *
   * The person asked to join this room.
   */
  signals[SIGNAL_JOIN] = g_signal_new ("join", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/canopy/Canopy/ui/canopy-room-row.ui");
  gtk_widget_class_bind_template_child (widget_class, CanopyRoomRow, cover_stack);
  gtk_widget_class_bind_template_child (widget_class, CanopyRoomRow, cover_picture);
  gtk_widget_class_bind_template_child (widget_class, CanopyRoomRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, CanopyRoomRow, summary_label);
  gtk_widget_class_bind_template_child (widget_class, CanopyRoomRow, meta_label);
  gtk_widget_class_bind_template_child (widget_class, CanopyRoomRow, join_button);
  gtk_widget_class_bind_template_callback (widget_class, on_join_button_clicked);
}

static void
canopy_room_row_init (CanopyRoomRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
canopy_room_row_new (CanopyRoomItem *item)
{
  g_return_val_if_fail (CANOPY_IS_ROOM_ITEM (item), NULL);
  return g_object_new (CANOPY_TYPE_ROOM_ROW, "item", item, NULL);
}

CanopyRoomItem *
canopy_room_row_get_item (CanopyRoomRow *self)
{
  g_return_val_if_fail (CANOPY_IS_ROOM_ROW (self), NULL);
  return self->item;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyRoomItem"

#include "canopy-room-item.h"

#include "canopy-json.h"
#include "canopy-limits.h"
#include "canopy-text.h"

/* One room of the directory, as the server described it. Every member was checked on the way in:
 * the server is not trusted. */
struct _CanopyRoomItem {
  GObject parent_instance;

  char *room;
  char *title;
  char *summary;
  char *cover;
  char *host;
  guint viewers;
  guint depth;
  char *started;
  gboolean locked;          /* takes no newcomers now */
  gboolean needs_password;  /* newcomers must give one (never in the entry itself) */
};

G_DEFINE_FINAL_TYPE (CanopyRoomItem, canopy_room_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ROOM,
  PROP_TITLE,
  PROP_SUMMARY,
  PROP_COVER,
  PROP_HOST,
  PROP_VIEWERS,
  PROP_DEPTH,
  PROP_STARTED,
  PROP_LOCKED,
  PROP_NEEDS_PASSWORD,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The protocol's limits; a base64 cover of 64 KiB is about 87 400 characters plus its prefix. */
#define STARTED_MAX 64

static gboolean
get_text (JsonObject  *entry,
          const char  *member,
          gsize        max_chars,
          gboolean     required,
          char       **out,
          GError     **error)
{
  const char *s = NULL;

  if (!canopy_json_get_string (entry, member, max_chars, required, &s, error))
    return FALSE;
  *out = g_strstrip (s != NULL ? canopy_text_sanitize (s) : g_strdup (""));
  return TRUE;
}

static void
canopy_room_item_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  CanopyRoomItem *self = CANOPY_ROOM_ITEM (object);

  switch (prop_id) {
  case PROP_ROOM:
    g_value_set_string (value, self->room);
    break;
  case PROP_TITLE:
    g_value_set_string (value, self->title);
    break;
  case PROP_SUMMARY:
    g_value_set_string (value, self->summary);
    break;
  case PROP_COVER:
    g_value_set_string (value, self->cover);
    break;
  case PROP_HOST:
    g_value_set_string (value, self->host);
    break;
  case PROP_VIEWERS:
    g_value_set_uint (value, self->viewers);
    break;
  case PROP_DEPTH:
    g_value_set_uint (value, self->depth);
    break;
  case PROP_STARTED:
    g_value_set_string (value, self->started);
    break;
  case PROP_LOCKED:
    g_value_set_boolean (value, self->locked);
    break;
  case PROP_NEEDS_PASSWORD:
    g_value_set_boolean (value, self->needs_password);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
canopy_room_item_finalize (GObject *object)
{
  CanopyRoomItem *self = CANOPY_ROOM_ITEM (object);

  g_free (self->room);
  g_free (self->title);
  g_free (self->summary);
  g_free (self->cover);
  g_free (self->host);
  g_free (self->started);
  G_OBJECT_CLASS (canopy_room_item_parent_class)->finalize (object);
}

static void
canopy_room_item_class_init (CanopyRoomItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->get_property = canopy_room_item_get_property;
  object_class->finalize = canopy_room_item_finalize;

  properties[PROP_ROOM] = g_param_spec_string ("room", NULL, NULL, NULL, flags);
  properties[PROP_TITLE] = g_param_spec_string ("title", NULL, NULL, NULL, flags);
  properties[PROP_SUMMARY] = g_param_spec_string ("summary", NULL, NULL, NULL, flags);
  properties[PROP_COVER] = g_param_spec_string ("cover", NULL, NULL, NULL, flags);
  properties[PROP_HOST] = g_param_spec_string ("host", NULL, NULL, NULL, flags);
  properties[PROP_VIEWERS] = g_param_spec_uint ("viewers", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_DEPTH] = g_param_spec_uint ("depth", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_STARTED] = g_param_spec_string ("started", NULL, NULL, NULL, flags);
  properties[PROP_LOCKED] = g_param_spec_boolean ("locked", NULL, NULL, FALSE, flags);
  properties[PROP_NEEDS_PASSWORD] = g_param_spec_boolean ("needs-password", NULL, NULL, FALSE,
                                                          flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
canopy_room_item_init (CanopyRoomItem *self)
{
}

/**
 * canopy_room_item_new_from_json:
 * @entry: an untrusted room entry from the server
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the room, or %NULL when any member is wrong
 */
CanopyRoomItem *
canopy_room_item_new_from_json (JsonObject  *entry,
                                GError     **error)
{
  g_autoptr (CanopyRoomItem) self = g_object_new (CANOPY_TYPE_ROOM_ITEM, NULL);
  const char *room = NULL;
  const char *cover = NULL;
  gint64 viewers = 0;
  gint64 depth = 0;

  g_return_val_if_fail (entry != NULL, NULL);

  if (!canopy_json_get_string (entry, "room", CANOPY_ROOM_INPUT_CHARS, TRUE, &room, error))
    return NULL;
  self->room = canopy_room_id_normalize (room);
  if (self->room == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "Not a room ID");
    return NULL;
  }
  if (!get_text (entry, "title", CANOPY_TITLE_CHARS, TRUE, &self->title, error) ||
      !get_text (entry, "summary", CANOPY_SUMMARY_CHARS, FALSE, &self->summary, error) ||
      !get_text (entry, "host", CANOPY_NAME_CHARS, FALSE, &self->host, error) ||
      !get_text (entry, "started", STARTED_MAX, FALSE, &self->started, error) ||
      !canopy_json_get_string (entry, "cover", CANOPY_COVER_CHARS, FALSE, &cover, error) ||
      !canopy_json_get_int (entry, "viewers", 0, 1000000, FALSE, &viewers, error) ||
      !canopy_json_get_int (entry, "depth", 0, 1000, FALSE, &depth, error) ||
      !canopy_json_get_bool (entry, "locked", FALSE, &self->locked, error) ||
      !canopy_json_get_bool (entry, "password", FALSE, &self->needs_password, error))
    return NULL;
  if (*self->title == '\0') {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "Empty title");
    return NULL;
  }
  /* Only covers the row can show are kept; anything else becomes the placeholder. */
  if (cover != NULL && g_str_has_prefix (cover, "data:image/") && g_str_is_ascii (cover))
    self->cover = g_strdup (cover);
  self->viewers = (guint) viewers;
  self->depth = (guint) depth;
  return g_steal_pointer (&self);
}

static gboolean
take_string (CanopyRoomItem *self,
             char          **field,
             const char     *value,
             int             prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
  return TRUE;
}

/**
 * canopy_room_item_update:
 * @self: a room
 * @from: a newer description of the same room
 *
 * Returns: whether anything changed
 */
gboolean
canopy_room_item_update (CanopyRoomItem *self,
                         CanopyRoomItem *from)
{
  gboolean changed = FALSE;

  g_return_val_if_fail (CANOPY_IS_ROOM_ITEM (self), FALSE);
  g_return_val_if_fail (CANOPY_IS_ROOM_ITEM (from), FALSE);

  g_object_freeze_notify (G_OBJECT (self));
  changed |= take_string (self, &self->title, from->title, PROP_TITLE);
  changed |= take_string (self, &self->summary, from->summary, PROP_SUMMARY);
  changed |= take_string (self, &self->cover, from->cover, PROP_COVER);
  changed |= take_string (self, &self->host, from->host, PROP_HOST);
  changed |= take_string (self, &self->started, from->started, PROP_STARTED);
  if (self->viewers != from->viewers) {
    self->viewers = from->viewers;
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIEWERS]);
    changed = TRUE;
  }
  if (self->depth != from->depth) {
    self->depth = from->depth;
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEPTH]);
    changed = TRUE;
  }
  if (self->locked != from->locked) {
    self->locked = from->locked;
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOCKED]);
    changed = TRUE;
  }
  if (self->needs_password != from->needs_password) {
    self->needs_password = from->needs_password;
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NEEDS_PASSWORD]);
    changed = TRUE;
  }
  g_object_thaw_notify (G_OBJECT (self));
  return changed;
}

const char *
canopy_room_item_get_room (CanopyRoomItem *self)
{
  g_return_val_if_fail (CANOPY_IS_ROOM_ITEM (self), NULL);
  return self->room;
}

const char *
canopy_room_item_get_title (CanopyRoomItem *self)
{
  g_return_val_if_fail (CANOPY_IS_ROOM_ITEM (self), NULL);
  return self->title;
}

const char *
canopy_room_item_get_summary (CanopyRoomItem *self)
{
  g_return_val_if_fail (CANOPY_IS_ROOM_ITEM (self), NULL);
  return self->summary;
}

const char *
canopy_room_item_get_cover (CanopyRoomItem *self)
{
  g_return_val_if_fail (CANOPY_IS_ROOM_ITEM (self), NULL);
  return self->cover;
}

const char *
canopy_room_item_get_host (CanopyRoomItem *self)
{
  g_return_val_if_fail (CANOPY_IS_ROOM_ITEM (self), NULL);
  return self->host;
}

guint
canopy_room_item_get_viewers (CanopyRoomItem *self)
{
  g_return_val_if_fail (CANOPY_IS_ROOM_ITEM (self), 0);
  return self->viewers;
}

guint
canopy_room_item_get_depth (CanopyRoomItem *self)
{
  g_return_val_if_fail (CANOPY_IS_ROOM_ITEM (self), 0);
  return self->depth;
}

const char *
canopy_room_item_get_started (CanopyRoomItem *self)
{
  g_return_val_if_fail (CANOPY_IS_ROOM_ITEM (self), NULL);
  return self->started;
}

/**
 * canopy_room_item_get_locked:
 * @self: a room
 *
 * Returns: whether the host locked the room: it takes no newcomers now
 */
gboolean
canopy_room_item_get_locked (CanopyRoomItem *self)
{
  g_return_val_if_fail (CANOPY_IS_ROOM_ITEM (self), FALSE);
  return self->locked;
}

/**
 * canopy_room_item_get_needs_password:
 * @self: a room
 *
 * Returns: whether joining takes the room's password
 */
gboolean
canopy_room_item_get_needs_password (CanopyRoomItem *self)
{
  g_return_val_if_fail (CANOPY_IS_ROOM_ITEM (self), FALSE);
  return self->needs_password;
}

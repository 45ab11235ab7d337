/* weft-varint.h — the integer coding of Weft's packed data: unsigned
 * LEB128 varints, and zigzag for signed differences (small either side
 * of zero, small varints). Shared by the lane chunks (weft-lanes.c), the
 * level of detail's record (weft-lod-input.c) and its spilled runs
 * (weft-lod.c). */
#pragma once

#include <glib.h>

/* A varint is at most this long. */
#define WEFT_VARINT_MAX 10

static inline guint64
weft_zigzag (gint64 v)
{
  return ((guint64) v << 1) ^ (guint64) (v >> 63);
}

static inline gint64
weft_unzigzag (guint64 v)
{
  return (gint64) (v >> 1) ^ -(gint64) (v & 1);
}

/* Writes @v at @p, which has room for WEFT_VARINT_MAX bytes; returns the
 * byte after it. */
static inline guint8 *
weft_put_varint (guint8 *p, guint64 v)
{
  while (v >= 0x80)
    {
      *p++ = (guint8) (v | 0x80);
      v >>= 7;
    }
  *p++ = (guint8) v;
  return p;
}

/* Reads a varint at *@p, before @end, and moves *@p past it; FALSE if
 * the bytes end first or it overflows 64 bits. */
static inline gboolean
weft_get_varint (const guint8 **p, const guint8 *end, guint64 *v)
{
  guint64 x = 0;

  for (guint shift = 0; shift < 64 && *p < end; shift += 7)
    {
      guint8 b = *(*p)++;

      x |= (guint64) (b & 0x7f) << shift;
      if (!(b & 0x80))
        {
          *v = x;
          return TRUE;
        }
    }
  return FALSE;
}

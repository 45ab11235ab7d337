/* gotrace-writer.h — hand-made Go execution traces for the tests.
 *
 * Writes the wire format recorder/weft-gotrace.c reads (see its header
 * comment): a header, batches of varint-encoded events, the per-generation
 * string, stack and sync batches, in the flavour of one Go version (1.22:
 * a lone Frequency batch; 1.25: a Sync batch with a clock snapshot; 1.26:
 * EndOfGeneration after each generation). Timestamps are in ticks of 1 ns.
 */
#pragma once

#include "weft-gotrace.h"

#include <glib.h>
#include <stdarg.h>

static inline void
gw_uv (GByteArray *b, guint64 v)
{
  guint8 c;

  do
    {
      c = v & 0x7f;
      v >>= 7;
      if (v != 0)
        c |= 0x80;
      g_byte_array_append (b, &c, 1);
    }
  while (v != 0);
}

static inline void
gw_byte (GByteArray *b, guint8 c)
{
  g_byte_array_append (b, &c, 1);
}

static inline void
gw_header (GByteArray *out, guint minor)
{
  g_autofree char *h = g_strdup_printf ("go 1.%u trace", minor);

  g_byte_array_append (out, (const guint8 *) h, 13);
  g_byte_array_append (out, (const guint8 *) "\0\0\0", 3);
}

/* An event: type, then @n varints (the timestamp delta first). */
static inline void
gw_ev (GByteArray *p, guint8 type, guint n, ...)
{
  va_list ap;

  gw_byte (p, type);
  va_start (ap, n);
  for (guint i = 0; i < n; i++)
    gw_uv (p, va_arg (ap, guint64));
  va_end (ap);
}

/* Appends a batch of @payload (then empties it). */
static inline void
gw_batch (GByteArray *out, guint64 gen, guint64 m, guint64 time, GByteArray *payload)
{
  gw_byte (out, WEFT_GO_EV_EVENT_BATCH);
  gw_uv (out, gen);
  gw_uv (out, m);
  gw_uv (out, time);
  gw_uv (out, payload->len);
  g_byte_array_append (out, payload->data, payload->len);
  g_byte_array_set_size (payload, 0);
}

/* The structural batches of a generation: frequency (1 tick = 1 ns), the
 * strings (id i+1 = strings[i]) and one stack (id 1) of @n_pcs frames named
 * after strings 1 and 2. */
static inline void
gw_tables (GByteArray *out, guint minor, guint64 gen, const char *const *strings, const guint64 *pcs, guint n_pcs)
{
  g_autoptr (GByteArray) p = g_byte_array_new ();

  if (minor >= 25)
    {
      gw_byte (p, WEFT_GO_EV_SYNC);
      gw_ev (p, WEFT_GO_EV_FREQUENCY, 1, (guint64) 1000000000);
      gw_ev (p, WEFT_GO_EV_CLOCK_SNAPSHOT, 4, (guint64) 0, (guint64) 1000, (guint64) 1700000000, (guint64) 0);
    }
  else
    gw_ev (p, WEFT_GO_EV_FREQUENCY, 1, (guint64) 1000000000);
  gw_batch (out, gen, 0, 1000, p);
  gw_byte (p, WEFT_GO_EV_STRINGS);
  for (guint i = 0; strings[i] != NULL; i++)
    {
      gw_byte (p, WEFT_GO_EV_STRING);
      gw_uv (p, i + 1);
      gw_uv (p, strlen (strings[i]));
      g_byte_array_append (p, (const guint8 *) strings[i], strlen (strings[i]));
    }
  gw_batch (out, gen, 0, 1000, p);
  if (n_pcs > 0)
    {
      gw_byte (p, WEFT_GO_EV_STACKS);
      gw_byte (p, WEFT_GO_EV_STACK);
      gw_uv (p, 1);
      gw_uv (p, n_pcs);
      for (guint i = 0; i < n_pcs; i++)
        {
          gw_uv (p, pcs[i]);
          gw_uv (p, 1);
          gw_uv (p, 2);
          gw_uv (p, 10 + i);
        }
      gw_batch (out, gen, 0, 1000, p);
    }
}

static inline void
gw_end_generation (GByteArray *out, guint minor)
{
  if (minor >= 26)
    gw_byte (out, WEFT_GO_EV_END_OF_GENERATION);
}

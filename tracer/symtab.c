/* symtab.c — function names for goroutine dumps.
 *
 * dladdr() only knows exported dynamic symbols, so most frames of a
 * program (static functions, executables built without -rdynamic) would
 * print as "?()". This reads the full ELF symbol table (.symtab, or
 * .dynsym when the object is stripped) of the object that contains a pc,
 * found through dladdr's base address and path, and maps it read-only.
 *
 * It runs on the fatal-error path, possibly in a signal handler, so it
 * allocates nothing with malloc: objects are mapped with mmap and kept in
 * a small fixed cache for the rest of the (short) life of the process.
 * Not async-signal-safe in the strict sense (dladdr), as Go's traceback is
 * not either; good enough to print a dump before exiting.
 *
 * File and line need DWARF, which the recorder reads offline; a dump gives
 * object+offset for addr2line.
 */
#define _GNU_SOURCE
#include "runtime.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_OBJECTS 16

typedef struct
{
  uintptr_t            base; /* load bias (dli_fbase) */
  const unsigned char *map;
  size_t               size;
  const ElfW (Sym) * syms;
  size_t      nsyms;
  const char *strs;
  size_t      strs_size;
  bool        pie_or_dso; /* symbol values are relative to base */
} Object;

static Object   objects[MAX_OBJECTS];
static int      nobjects;
static WeftLock symtab_lock;

static bool
in_file (const Object *o, uint64_t off, uint64_t len)
{
  return off <= o->size && len <= o->size - off;
}

static void
load_object (Object *o, const char *path)
{
  const ElfW (Ehdr) * eh;
  const ElfW (Shdr) * sh;
  struct stat st;
  int         fd = open (path, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return;
  if (fstat (fd, &st) != 0 || st.st_size < (off_t) sizeof (ElfW (Ehdr)))
    {
      close (fd);
      return;
    }
  o->size = (size_t) st.st_size;
  o->map = mmap (NULL, o->size, PROT_READ, MAP_PRIVATE, fd, 0);
  close (fd);
  if (o->map == MAP_FAILED)
    {
      o->map = NULL;
      return;
    }

  eh = (const ElfW (Ehdr) *) o->map;
  if (memcmp (eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_shentsize != sizeof (ElfW (Shdr))
      || !in_file (o, eh->e_shoff, (uint64_t) eh->e_shnum * sizeof (ElfW (Shdr))))
    return;
  o->pie_or_dso = eh->e_type == ET_DYN;
  sh = (const ElfW (Shdr) *) (o->map + eh->e_shoff);

  /* Prefer the full table; fall back to the dynamic one. */
  for (int want = SHT_SYMTAB; want != 0; want = want == SHT_SYMTAB ? SHT_DYNSYM : 0)
    for (int i = 0; i < eh->e_shnum; i++)
      {
        const ElfW (Shdr) *s = &sh[i];
        if (s->sh_type != (ElfW (Word)) want || s->sh_link >= eh->e_shnum || s->sh_entsize != sizeof (ElfW (Sym)))
          continue;
        const ElfW (Shdr) *str = &sh[s->sh_link];
        if (!in_file (o, s->sh_offset, s->sh_size) || !in_file (o, str->sh_offset, str->sh_size))
          continue;
        o->syms = (const ElfW (Sym) *) (o->map + s->sh_offset);
        o->nsyms = s->sh_size / sizeof (ElfW (Sym));
        o->strs = (const char *) (o->map + str->sh_offset);
        o->strs_size = str->sh_size;
        return;
      }
}

static Object *
object_for (uintptr_t base, const char *path)
{
  Object *o = NULL;

  weft_lock (&symtab_lock);
  for (int i = 0; i < nobjects; i++)
    if (objects[i].base == base)
      o = &objects[i];
  if (o == NULL && nobjects < MAX_OBJECTS)
    {
      o = &objects[nobjects++];
      o->base = base;
      load_object (o, path);
    }
  weft_unlock (&symtab_lock);
  return o;
}

bool
weft_symbolize (uintptr_t pc, const char **func, uintptr_t *func_off, const char **obj, uintptr_t *obj_off)
{
  Dl_info info;
  const ElfW (Sym) *best = NULL;
  uintptr_t addr;
  Object   *o;

  if (dladdr ((void *) pc, &info) == 0 || info.dli_fname == NULL)
    return false;
  *obj = info.dli_fname;
  *obj_off = pc - (uintptr_t) info.dli_fbase;
  *func = info.dli_sname;
  *func_off = info.dli_sname != NULL ? pc - (uintptr_t) info.dli_saddr : 0;

  /* The main program's dli_fname is argv[0]-like; its file is /proc/self/exe. */
  o = object_for ((uintptr_t) info.dli_fbase,
                  strchr (info.dli_fname, '/') == NULL || info.dli_fname[0] != '/' ? "/proc/self/exe" : info.dli_fname);
  if (o == NULL || o->syms == NULL)
    return true;

  addr = o->pie_or_dso ? *obj_off : pc;
  for (size_t i = 0; i < o->nsyms; i++)
    {
      const ElfW (Sym) *s = &o->syms[i];
      if (ELF64_ST_TYPE (s->st_info) != STT_FUNC || s->st_value == 0 || s->st_value > addr)
        continue;
      if (s->st_size != 0 && addr >= s->st_value + s->st_size)
        continue;
      if (best == NULL || s->st_value > best->st_value)
        best = s;
    }
  if (best != NULL && best->st_name < o->strs_size)
    {
      *func = o->strs + best->st_name;
      *func_off = addr - best->st_value;
    }
  return true;
}

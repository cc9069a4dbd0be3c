/*
 * profiles.c: the profile directory of the wasm-tracemalloc demo.
 *
 * A profile is "fetched" (made up from its id, deterministically) and parsed into a
 * `struct profile` of exactly PROFILE_SIZE bytes, then kept in an LRU cache so that
 * opening it again costs nothing. The cache is meant to hold CACHE_CAPACITY
 * profiles and evict the least recently used one beyond that.
 *
 * THE LEAK (on purpose, for the demo): cache_put() checks `count` against the
 * capacity, but nothing ever increments `count`. The cache never evicts, and every
 * profile ever opened stays in memory: open_profiles(first, n) on new ids keeps
 * n * PROFILE_SIZE bytes allocated in load_profile() (and n * sizeof(struct entry)
 * in cache_put()) for good.
 *
 * search() is the honest counterpart: it allocates a result list (grown with
 * realloc) and a text buffer, and frees both before it returns.
 *
 * Built as a reactor (-mexec-model=reactor): _initialize plus the exports below.
 * No stdio, so the module imports nothing from WASI.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT(name) __attribute__((export_name(name)))
#define NOINLINE __attribute__((noinline))

enum { PROFILE_SIZE = 256, CACHE_CAPACITY = 64, BUCKETS = 1024 };

struct profile {
  uint32_t id;
  uint32_t followers;
  char name[56];
  char email[64];
  char bio[128];
};
_Static_assert(sizeof(struct profile) == PROFILE_SIZE, "the demo's page says 256 B");

struct entry {
  uint32_t key;
  struct profile *value;
  struct entry *prev, *next; /* LRU list, most recent first */
  struct entry *chain;       /* hash bucket */
};

static struct {
  struct entry *buckets[BUCKETS];
  struct entry *head, *tail;
  uint32_t count, capacity;
} cache = {.capacity = CACHE_CAPACITY};

static const char *const FIRST[] = {"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken"};
static const char *const LAST[] = {"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson"};
static const char *const TOPIC[] = {"compilers", "type systems", "garbage collectors", "allocators", "linkers", "WebAssembly"};

/* Appends s to dst (capacity cap, always NUL-terminated); returns the new length. */
static size_t append(char *dst, size_t len, size_t cap, const char *s) {
  while (*s && len + 1 < cap) dst[len++] = *s++;
  dst[len] = 0;
  return len;
}

static size_t append_u32(char *dst, size_t len, size_t cap, uint32_t v) {
  char digits[11];
  int n = 0;
  do digits[n++] = (char)('0' + v % 10); while ((v /= 10) != 0);
  while (n > 0 && len + 1 < cap) dst[len++] = digits[--n];
  dst[len] = 0;
  return len;
}

/* "Fetches" and parses profile `id`: one block of PROFILE_SIZE bytes. */
NOINLINE static struct profile *load_profile(uint32_t id) {
  struct profile *p = malloc(sizeof *p);
  if (!p) return NULL;
  memset(p, 0, sizeof *p);
  p->id = id;
  p->followers = (id * 2654435761u) % 10000;
  size_t n = append(p->name, 0, sizeof p->name, FIRST[id % 8]);
  n = append(p->name, n, sizeof p->name, " ");
  append(p->name, n, sizeof p->name, LAST[(id / 8) % 8]);
  n = append(p->email, 0, sizeof p->email, "user");
  n = append_u32(p->email, n, sizeof p->email, id);
  append(p->email, n, sizeof p->email, "@example.org");
  n = append(p->bio, 0, sizeof p->bio, "Writes about ");
  n = append(p->bio, n, sizeof p->bio, TOPIC[id % 6]);
  append(p->bio, n, sizeof p->bio, ".");
  return p;
}

static void unlink_entry(struct entry *e) {
  if (e->prev) e->prev->next = e->next; else cache.head = e->next;
  if (e->next) e->next->prev = e->prev; else cache.tail = e->prev;
  e->prev = e->next = NULL;
}

static void push_front(struct entry *e) {
  e->next = cache.head;
  if (cache.head) cache.head->prev = e;
  cache.head = e;
  if (!cache.tail) cache.tail = e;
}

static void evict_lru(void) {
  struct entry *e = cache.tail;
  if (!e) return;
  unlink_entry(e);
  struct entry **link = &cache.buckets[e->key % BUCKETS];
  while (*link != e) link = &(*link)->chain;
  *link = e->chain;
  free(e->value);
  free(e);
  cache.count--;
}

static struct profile *cache_get(uint32_t key) {
  for (struct entry *e = cache.buckets[key % BUCKETS]; e; e = e->chain) {
    if (e->key == key) {
      unlink_entry(e);
      push_front(e);
      return e->value;
    }
  }
  return NULL;
}

NOINLINE static void cache_put(uint32_t key, struct profile *value) {
  if (cache.count >= cache.capacity) evict_lru();
  struct entry *e = malloc(sizeof *e);
  if (!e) return;
  e->key = key;
  e->value = value;
  e->prev = e->next = NULL;
  e->chain = cache.buckets[key % BUCKETS];
  cache.buckets[key % BUCKETS] = e;
  push_front(e);
  /* BUG: `cache.count++` is missing here, so the cache never evicts. */
}

/* Opens profiles first..first+n-1; returns how many were not cached yet. */
EXPORT("open_profiles") uint32_t open_profiles(uint32_t first, uint32_t n) {
  uint32_t misses = 0;
  for (uint32_t id = first; id < first + n; id++) {
    if (cache_get(id)) continue;
    struct profile *p = load_profile(id);
    if (!p) break;
    cache_put(id, p);
    misses++;
  }
  return misses;
}

/* The most recently opened profile's display name ("Ada Lovelace <user1@example.org>"). */
static char display[128];
EXPORT("last_opened") const char *last_opened(void) {
  display[0] = 0;
  if (!cache.head) return display;
  struct profile *p = cache.head->value;
  size_t n = append(display, 0, sizeof display, p->name);
  n = append(display, n, sizeof display, " <");
  n = append(display, n, sizeof display, p->email);
  append(display, n, sizeof display, ">");
  return display;
}

/* Profiles in the cache, walking the LRU list. */
EXPORT("cached_profiles") uint32_t cached_profiles(void) {
  uint32_t n = 0;
  for (struct entry *e = cache.head; e; e = e->next) n++;
  return n;
}

/* Counts cached profiles whose bio mentions `topic` (a NUL-terminated string at
 * `topic`); everything it allocates is freed before it returns. */
NOINLINE static struct profile **collect_matches(const char *topic, uint32_t *count) {
  uint32_t cap = 4, n = 0;
  struct profile **list = malloc(cap * sizeof *list);
  for (struct entry *e = cache.head; e && list; e = e->next) {
    if (!strstr(e->value->bio, topic)) continue;
    if (n == cap) {
      cap *= 2;
      struct profile **grown = realloc(list, cap * sizeof *list);
      if (!grown) break;
      list = grown;
    }
    list[n++] = e->value;
  }
  *count = n;
  return list;
}

EXPORT("search") uint32_t search(const char *topic) {
  uint32_t n = 0;
  struct profile **list = collect_matches(topic, &n);
  /* A report the page never sees, so that there is a second, larger block to free. */
  char *report = malloc(64 + (size_t)n * 64);
  if (report) {
    size_t len = 0, cap = 64 + (size_t)n * 64;
    report[0] = 0;
    for (uint32_t i = 0; i < n; i++) {
      len = append(report, len, cap, list[i]->name);
      len = append(report, len, cap, "\n");
    }
  }
  free(report);
  free(list);
  return n;
}

/* Scratch space for strings passed in from JS. */
static char input[256];
EXPORT("input_buffer") char *input_buffer(void) { return input; }
EXPORT("input_capacity") uint32_t input_capacity(void) { return sizeof input; }

/* Frees every cached profile (what the page's "Clear cache" button does). */
EXPORT("clear_cache") void clear_cache(void) {
  while (cache.tail) {
    cache.count = cache.count ? cache.count : 1; /* evict_lru decrements */
    evict_lru();
  }
  cache.count = 0;
}

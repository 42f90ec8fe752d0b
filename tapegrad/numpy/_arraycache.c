/* A caching allocator for the data of the arrays that derivatives make.
 *
 * A gradient of big-array code allocates and frees the same large buffers on
 * every call: each forward value, each cotangent. Through malloc, a buffer
 * above glibc's mmap threshold is a fresh mapping each time, and every 4 kB
 * page of it faults (and is zeroed by the kernel) on first write; which sizes
 * take that path moves with the threshold that glibc adapts as the process
 * runs. This allocator keeps freed blocks of 64 kB and more on per-size free
 * lists instead, and hands the most recently freed (still in cache) back
 * first, so a repeated derivative reuses its own memory.
 *
 * It is a NumPy memory handler (NEP 49). tapegrad.numpy installs it in the
 * current context only while a derivative runs (enter/leave, called by the
 * engine's trace scope): arrays made elsewhere keep NumPy's own allocator.
 * An array remembers its handler, so a block made here comes back here
 * whenever it is freed. Smaller blocks go to NumPy's default handler (its
 * small-block cache included) with a 16-byte header, so that free can tell
 * the two apart.
 *
 * The cache holds at most `limit` bytes (set_limit); clear() returns them.
 * One mutex guards the lists: NumPy may allocate without the GIL.
 *
 * A fresh block of 4 MB or more is marked for transparent huge pages, as
 * NumPy's own allocator marks its arrays (set_hugepages, from NumPy's
 * setting at load): without it each 4 kB page of a block too big to cache
 * faults on its own, and a derivative that makes hundreds of megabytes (the
 * per-example gradients of an MLP) ran at a third of NumPy's speed.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_22_API_VERSION
#define NPY_TARGET_VERSION NPY_1_22_API_VERSION
#include <numpy/arrayobject.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

#define MIN_CACHED ((size_t)64 << 10)
#define N_CLASSES 256 /* four per power of two */

/* Every block starts with a header; the data follows it. cap and cls sit in
 * the 16 bytes just before the data in both kinds, so free needs only the
 * data pointer. A cached block links the free list through next. */
typedef struct {
    void *next; /* large blocks only */
    size_t pad;
    size_t cap; /* bytes of the whole block, header included */
    int64_t cls; /* size class, or -1: a small block of the default handler */
} Large;
typedef struct {
    size_t cap;
    int64_t cls;
} Small;
#define LARGE_HDR sizeof(Large)
#define SMALL_HDR sizeof(Small)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static Large *free_list[N_CLASSES];
static size_t cached_bytes, limit = (size_t)256 << 20;
static int hugepages; /* mark fresh big blocks for huge pages (NumPy's setting) */
#define HUGE_FROM ((size_t)4 << 20)

/* Ask the kernel to back the whole pages of a fresh block with huge pages. */
static void
advise_huge(void *block, size_t cap)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (!hugepages || cap < HUGE_FROM)
        return;
    uintptr_t start = ((uintptr_t)block + 4095u) & ~(uintptr_t)4095u;
    uintptr_t end = ((uintptr_t)block + cap) & ~(uintptr_t)4095u;
    if (end > start)
        madvise((void *)start, end - start, MADV_HUGEPAGE); /* a hint: its failure changes nothing */
#else
    (void)block;
    (void)cap;
#endif
}
static unsigned long long hits, misses;
static PyDataMem_Handler *fallback; /* NumPy's default handler, for small blocks */
static PyObject *capsule;           /* ours */

/* The size class of a block of n bytes (n >= MIN_CACHED) and its capacity. */
static int
size_class(size_t n, size_t *cap)
{
    int e = 63 - __builtin_clzll((unsigned long long)(n - 1)); /* 2^e <= n - 1 */
    size_t base = (size_t)1 << e, step = base >> 2;
    size_t q = (n - 1 - base) / step + 1; /* 1..4 */
    *cap = base + q * step;
    return e * 4 + (int)q - 1;
}

static void *
take(size_t n, int zero)
{
    size_t need = n + LARGE_HDR;
    if (need < n)
        return NULL; /* overflow */
    if (need < MIN_CACHED) {
        size_t cap = n + SMALL_HDR;
        Small *s = zero ? fallback->allocator.calloc(fallback->allocator.ctx, 1, cap)
                        : fallback->allocator.malloc(fallback->allocator.ctx, cap);
        if (s == NULL)
            return NULL;
        s->cap = cap;
        s->cls = -1;
        return s + 1;
    }
    size_t cap;
    int cls = size_class(need, &cap);
    if (cls >= N_CLASSES)
        return NULL;
    pthread_mutex_lock(&lock);
    Large *b = free_list[cls];
    if (b != NULL) {
        free_list[cls] = b->next;
        cached_bytes -= b->cap;
        hits++;
    }
    else
        misses++;
    pthread_mutex_unlock(&lock);
    if (b != NULL) {
        if (zero)
            memset(b + 1, 0, n);
        return b + 1;
    }
    /* calloc of a fresh mapping costs no memset: its pages come zeroed */
    b = zero ? calloc(1, cap) : malloc(cap);
    if (b == NULL)
        return NULL;
    advise_huge(b, cap);
    b->cap = cap;
    b->cls = cls;
    return b + 1;
}

static void
give_back(void *p)
{
    if (p == NULL)
        return;
    Small *tail = (Small *)p - 1;
    if (tail->cls < 0) {
        fallback->allocator.free(fallback->allocator.ctx, tail, tail->cap);
        return;
    }
    Large *b = (Large *)p - 1;
    pthread_mutex_lock(&lock);
    if (cached_bytes + b->cap <= limit) {
        b->next = free_list[b->cls];
        free_list[b->cls] = b;
        cached_bytes += b->cap;
        b = NULL;
    }
    pthread_mutex_unlock(&lock);
    free(b); /* over the limit: back to the system */
}

static void *
h_malloc(void *ctx, size_t n)
{
    return take(n, 0);
}

static void *
h_calloc(void *ctx, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    return take(count * size, 1);
}

static void
h_free(void *ctx, void *p, size_t size)
{
    give_back(p); /* the header knows the size; NumPy's may differ after a resize */
}

static void *
h_realloc(void *ctx, void *p, size_t n)
{
    if (p == NULL)
        return take(n, 0);
    Small *tail = (Small *)p - 1;
    size_t hdr = tail->cls < 0 ? SMALL_HDR : LARGE_HDR;
    size_t have = tail->cap - hdr;
    /* keep the block unless it must grow, or would be mostly empty */
    if (n <= have && (tail->cls < 0 || (n + LARGE_HDR >= MIN_CACHED && n >= have / 2)))
        return p;
    void *q = take(n, 0);
    if (q == NULL)
        return NULL;
    memcpy(q, p, n < have ? n : have);
    give_back(p);
    return q;
}

static PyDataMem_Handler handler = {
    "tapegrad_arraycache", 1, {NULL, h_malloc, h_calloc, h_realloc, h_free}};

/* enter() -> token: makes this allocator the current context's handler.
 * Inside a derivative it already is (nested traces): the token is None. */
static PyObject *
enter(PyObject *self, PyObject *unused)
{
    if (limit == 0)
        Py_RETURN_NONE;
    PyObject *current = PyDataMem_GetHandler();
    if (current == NULL)
        return NULL;
    int ours = current == capsule;
    Py_DECREF(current);
    if (ours)
        Py_RETURN_NONE;
    return PyDataMem_SetHandler(capsule);
}

/* leave(token): restores the handler that enter() replaced. */
static PyObject *
leave(PyObject *self, PyObject *token)
{
    if (token == Py_None)
        Py_RETURN_NONE;
    PyObject *ours = PyDataMem_SetHandler(token);
    if (ours == NULL)
        return NULL;
    Py_DECREF(ours);
    Py_RETURN_NONE;
}

static size_t
drain(void)
{
    size_t freed = 0;
    pthread_mutex_lock(&lock);
    for (int c = 0; c < N_CLASSES; c++) {
        while (free_list[c] != NULL) {
            Large *b = free_list[c];
            free_list[c] = b->next;
            freed += b->cap;
            free(b);
        }
    }
    cached_bytes = 0;
    pthread_mutex_unlock(&lock);
    return freed;
}

static PyObject *
clear(PyObject *self, PyObject *unused)
{
    return PyLong_FromSize_t(drain());
}

static PyObject *
set_limit(PyObject *self, PyObject *arg)
{
    size_t n = PyLong_AsSize_t(arg);
    if (n == (size_t)-1 && PyErr_Occurred())
        return NULL;
    pthread_mutex_lock(&lock);
    size_t old = limit;
    limit = n;
    int over = cached_bytes > limit;
    pthread_mutex_unlock(&lock);
    if (over)
        drain();
    return PyLong_FromSize_t(old);
}

static PyObject *
set_hugepages(PyObject *self, PyObject *arg)
{
    int on = PyObject_IsTrue(arg);
    if (on < 0)
        return NULL;
    int old = hugepages;
    hugepages = on;
    return PyBool_FromLong(old);
}

static PyObject *
info(PyObject *self, PyObject *unused)
{
    pthread_mutex_lock(&lock);
    size_t c = cached_bytes, l = limit;
    unsigned long long h = hits, m = misses;
    pthread_mutex_unlock(&lock);
    return Py_BuildValue("{s:n,s:n,s:K,s:K,s:n}", "cached_bytes", (Py_ssize_t)c, "limit", (Py_ssize_t)l,
                         "hits", h, "misses", m, "min_block", (Py_ssize_t)MIN_CACHED);
}

static PyMethodDef methods[] = {
    {"enter", enter, METH_NOARGS, "Make the cache the current context's NumPy allocator; returns a token."},
    {"leave", leave, METH_O, "Restore the allocator that enter() replaced."},
    {"clear", clear, METH_NOARGS, "Free every cached block; returns the bytes freed."},
    {"set_limit", set_limit, METH_O, "Set the most bytes the cache holds; returns the old limit."},
    {"set_hugepages", set_hugepages, METH_O, "Mark fresh blocks of 4 MB or more for huge pages; returns the old setting."},
    {"info", info, METH_NOARGS, "Cached bytes, limit, hits and misses."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_arraycache", NULL, -1, methods};

PyMODINIT_FUNC
PyInit__arraycache(void)
{
    import_array();
    /* the handler of a fresh context: NumPy's default */
    PyObject *ctx = PyContext_New();
    if (ctx == NULL || PyContext_Enter(ctx) < 0) {
        Py_XDECREF(ctx);
        return NULL;
    }
    PyObject *dflt = PyDataMem_GetHandler();
    PyContext_Exit(ctx);
    Py_DECREF(ctx);
    if (dflt == NULL)
        return NULL;
    fallback = PyCapsule_GetPointer(dflt, "mem_handler");
    /* kept alive for the process: small blocks are freed through it */
    if (fallback == NULL)
        return NULL;
    capsule = PyCapsule_New(&handler, "mem_handler", NULL);
    if (capsule == NULL)
        return NULL;
    return PyModule_Create(&module);
}

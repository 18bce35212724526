/* pb_budget.c - a protobuf-c allocator with a budget (pb_budget.h). */
#include <stdlib.h>

#include "pb_budget.h"

/* What malloc spends on an allocation besides its size (glibc: a header
 * and rounding to 16 bytes). */
#define MALLOC_OVERHEAD 32
/* A fair message decodes to a few times its wire size (pointers for
 * repeated fields, one allocation per string); 8x and a fixed floor leave
 * room for every message this system sends. */
#define BUDGET_FACTOR 8
#define BUDGET_FLOOR  (64 * 1024)

static void *budget_alloc(void *data, size_t size)
{
    pb_budget *b = data;
    size_t cost = size + MALLOC_OVERHEAD;
    if (cost < size || cost > b->left)
        return NULL;
    b->left -= cost;
    return malloc(size);
}

/* Freed memory is not given back to the budget: a decode that frees as it
 * goes is still bounded by what it allocated in all. */
static void budget_free(void *data, void *pointer)
{
    (void)data;
    free(pointer);
}

void pb_budget_init(pb_budget *b, size_t limit)
{
    b->allocator = (ProtobufCAllocator){budget_alloc, budget_free, b};
    b->left = limit;
}

size_t pb_budget_for(size_t len)
{
    return len * BUDGET_FACTOR + BUDGET_FLOOR;
}

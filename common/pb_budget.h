/* pb_budget.h - a protobuf-c allocator with a budget.
 *
 * protobuf-c allocates as it decodes: a 4 MB message of two million empty
 * repeated strings costs it two million allocations. Decoding what a peer
 * sent through a pb_budget bounds that cost: once the allocations (each
 * counted with malloc's own overhead) would pass the limit, the allocator
 * refuses, the unpack fails cleanly, and the peer gets INVALID_ARGUMENT. */
#ifndef RCYCLE_PB_BUDGET_H
#define RCYCLE_PB_BUDGET_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

typedef struct pb_budget {
    ProtobufCAllocator allocator; /* pass &b->allocator to unpack and free_unpacked */
    size_t left;
} pb_budget;

/* A budget of limit bytes. It must outlive every message unpacked with it,
 * since freeing one goes through it too. */
void pb_budget_init(pb_budget *b, size_t limit);

/* The budget for decoding a message of len bytes: room for what a fair
 * message of that size needs, and no more. */
size_t pb_budget_for(size_t len);

#endif

/* pb_reflect.h - a message's fields reached through its descriptor, as
 * protobuf-c's own generic code reaches them: for the code that treats every
 * message alike (the list replies of rpc_reply_rows and of the gateway's list
 * views, the repeated-field caps on requests). */
#ifndef RCYCLE_PB_REFLECT_H
#define RCYCLE_PB_REFLECT_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

/* The first repeated message field of d (a list reply's list), or NULL. */
const ProtobufCFieldDescriptor *pb_list_field(const ProtobufCMessageDescriptor *d);

/* The element count of repeated field f of msg. */
size_t pb_count(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f);

/* The elements of repeated message field f of msg. */
ProtobufCMessage *const *pb_messages(const ProtobufCMessage *msg,
                                     const ProtobufCFieldDescriptor *f);

/* The message in singular message field f of msg, or NULL. */
const ProtobufCMessage *pb_message(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f);

/* Points repeated message field f of msg at n items (borrowed). */
void pb_set_messages(ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f, size_t n,
                     void **items);

#endif

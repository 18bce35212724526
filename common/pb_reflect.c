/* pb_reflect.c - a message's fields through its descriptor (pb_reflect.h). */
#include "pb_reflect.h"

const ProtobufCFieldDescriptor *pb_list_field(const ProtobufCMessageDescriptor *d)
{
    for (unsigned i = 0; i < d->n_fields; i++)
        if (d->fields[i].label == PROTOBUF_C_LABEL_REPEATED &&
            d->fields[i].type == PROTOBUF_C_TYPE_MESSAGE)
            return &d->fields[i];
    return NULL;
}

size_t pb_count(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f)
{
    return *(const size_t *)((const char *)msg + f->quantifier_offset);
}

ProtobufCMessage *const *pb_messages(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f)
{
    return *(ProtobufCMessage *const *const *)((const char *)msg + f->offset);
}

const ProtobufCMessage *pb_message(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f)
{
    return *(ProtobufCMessage *const *)((const char *)msg + f->offset);
}

void pb_set_messages(ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f, size_t n,
                     void **items)
{
    *(size_t *)((char *)msg + f->quantifier_offset) = n;
    *(void ***)((char *)msg + f->offset) = items;
}

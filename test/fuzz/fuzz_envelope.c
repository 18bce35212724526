/* fuzz_envelope.c - libFuzzer target: an RPC envelope and reply as they
 * arrive on a socket, and every request message a service unpacks. None may
 * crash or leak, whatever the bytes. */
#include <stddef.h>
#include <stdint.h>

#include "claims.pb-c.h"
#include "envelope.pb-c.h"
#include "listings.pb-c.h"
#include "users.pb-c.h"

static const ProtobufCMessageDescriptor *const descriptors[] = {
    &rcycle__envelope__descriptor,
    &rcycle__reply__descriptor,
    &rcycle__users__login_request__descriptor,
    &rcycle__users__create_user_request__descriptor,
    &rcycle__listings__list_listings_request__descriptor,
    &rcycle__listings__create_listing_request__descriptor,
    &rcycle__listings__update_listing_request__descriptor,
    &rcycle__claims__create_claim_request__descriptor,
    &rcycle__claims__list_claims_request__descriptor,
    &rcycle__claims__deny_claim_request__descriptor,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (size_t i = 0; i < sizeof descriptors / sizeof descriptors[0]; i++) {
        ProtobufCMessage *msg = protobuf_c_message_unpack(descriptors[i], NULL, size, data);
        if (msg != NULL) {
            /* What unpacks must pack again. */
            uint8_t out[1 << 16];
            if (protobuf_c_message_get_packed_size(msg) <= sizeof out)
                protobuf_c_message_pack(msg, out);
            protobuf_c_message_free_unpacked(msg, NULL);
        }
    }
    return 0;
}

/* main.c - svc-claims: claims, their two-stage approval and the audit trail.
 * This file only describes the service; common/service.c runs it. */
#include "service.h"

static const rpc_method claims_methods[] = {
    {NULL, NULL},
};

static const service_def claims_service = {
    .name = "svc-claims",
    .addr_var = "RCYCLE_CLAIMS_ADDR",
    .default_addr = "tcp://127.0.0.1:7103",
    .default_admin_port = 7203,
    .methods = claims_methods,
};

int main(void)
{
    return service_main(&claims_service);
}

/* rpc_service.c - the check of a service's method table (rpc_server.h),
 * which a server runs before it starts and each service binary runs on
 * itself at build time (--check-methods). */
#include <stdio.h>

#include "rpc_server.h"

int rpc_service_check(const rpc_service *service, char *err, size_t err_len)
{
    const ProtobufCServiceDescriptor *d = service->desc;
    if (service->n_handlers != d->n_methods) {
        snprintf(err, err_len, "%s has %u methods but a table of %zu", d->name, d->n_methods,
                 service->n_handlers);
        return -1;
    }
    for (unsigned i = 0; i < d->n_methods; i++) {
        if (service->handlers[i] == NULL) {
            snprintf(err, err_len, "%s does not serve %s", d->name, d->methods[i].name);
            return -1;
        }
    }
    if (service->listeners != NULL && service->n_listeners != d->n_methods) {
        snprintf(err, err_len, "%s has %u methods but a listener table of %zu", d->name,
                 d->n_methods, service->n_listeners);
        return -1;
    }
    return 0;
}

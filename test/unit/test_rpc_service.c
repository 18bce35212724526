/* test_rpc_service.c - the method table check: a table that leaves out a
 * method of its .proto service, or has room for a method the service does
 * not have, is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include "rpc_server.h"

static void serve(const rpc_request *req, rpc_reply *reply)
{
    (void)req;
    rpc_reply_ok(reply, NULL);
}

/* Every slot filled, however many methods users.proto grows. */
static void fill(rpc_handler_fn table[RPCI_USERS_COUNT])
{
    for (size_t i = 0; i < RPCI_USERS_COUNT; i++)
        table[i] = serve;
}

static void complete_table_passes(void **state)
{
    (void)state;
    rpc_handler_fn table[RPCI_USERS_COUNT];
    fill(table);
    const rpc_service svc = RPC_SERVICE(&rcycle__users__users__descriptor, table);
    char err[256] = "";
    assert_int_equal(rpc_service_check(&svc, err, sizeof err), 0);
}

static void missing_method_is_named(void **state)
{
    (void)state;
    static const rpc_handler_fn table[RPCI_USERS_COUNT] = {
        [RPCI_USERS_LOGIN] = serve,        [RPCI_USERS_LOGOUT] = serve,
        [RPCI_USERS_AUTHENTICATE] = serve, [RPCI_USERS_GET_USER] = serve,
        [RPCI_USERS_CREATE_USER] = serve,
    };
    const rpc_service svc = RPC_SERVICE(&rcycle__users__users__descriptor, table);
    char err[256] = "";
    assert_int_equal(rpc_service_check(&svc, err, sizeof err), -1);
    assert_non_null(strstr(err, "ListUsers"));
}

static void table_of_another_size_is_refused(void **state)
{
    (void)state;
    static const rpc_handler_fn table[RPCI_USERS_COUNT + 1] = {serve, serve, serve, serve,
                                                               serve, serve, serve};
    const rpc_service svc = RPC_SERVICE(&rcycle__users__users__descriptor, table);
    char err[256] = "";
    assert_int_equal(rpc_service_check(&svc, err, sizeof err), -1);
}

/* A listener table must have one entry per method, like the handlers. */
static void listener_table_of_another_size_is_refused(void **state)
{
    (void)state;
    rpc_handler_fn table[RPCI_USERS_COUNT];
    fill(table);
    static const unsigned limits[RPCI_USERS_COUNT - 1] = {RPC_LISTENER_INTERNAL};
    const rpc_service svc = RPC_SERVICE_LIMITED(&rcycle__users__users__descriptor, table, limits);
    char err[256] = "";
    assert_int_equal(rpc_service_check(&svc, err, sizeof err), -1);
    assert_non_null(strstr(err, "listener table"));
}

/* A method limited to the internal listener is refused on the public one
 * before its payload is looked at, and served on the internal one; Health
 * is served on both. */
static void limited_method_is_refused_elsewhere(void **state)
{
    (void)state;
    rpc_handler_fn table[RPCI_USERS_COUNT];
    fill(table);
    static const unsigned limits[RPCI_USERS_COUNT] = {[RPCI_USERS_CREATE_USER] =
                                                          RPC_LISTENER_INTERNAL};
    const rpc_service svc = RPC_SERVICE_LIMITED(&rcycle__users__users__descriptor, table, limits);
    static const char *const methods[] = {"CreateUser", "Login", "Health"};
    static const int denied_on_public[] = {1, 0, 0};
    for (size_t i = 0; i < 3; i++) {
        Rcycle__Envelope env = RCYCLE__ENVELOPE__INIT;
        env.method = (char *)methods[i];
        uint8_t buf[64];
        size_t len = rcycle__envelope__pack(&env, buf);
        rpc_reply reply = {0};
        rpc_server_answer_on(&svc, NULL, NULL, RPC_LISTENER_PUBLIC, buf, len, &reply);
        assert_int_equal(reply.code == RC_PERMISSION_DENIED, denied_on_public[i]);
        rpc_reply_clear(&reply);
        rpc_server_answer_on(&svc, NULL, NULL, RPC_LISTENER_INTERNAL, buf, len, &reply);
        assert_int_not_equal(reply.code, RC_PERMISSION_DENIED);
        rpc_reply_clear(&reply);
    }
}

/* The generated constants name the descriptor's methods in order. */
static void constants_match_descriptors(void **state)
{
    (void)state;
    assert_string_equal(RPC_LISTINGS_GET_LISTING->name, "GetListing");
    assert_ptr_equal(RPC_LISTINGS_GET_LISTING->input,
                     &rcycle__listings__get_listing_request__descriptor);
    assert_ptr_equal(RPC_CLAIMS_DENY_CLAIM->output, &rcycle__claims__claim__descriptor);
    assert_string_equal(RPC_COMMON_HEALTH->name, "Health");
    assert_int_equal(RPCI_LISTINGS_COUNT, rcycle__listings__listings__descriptor.n_methods);
}

/* A server whose workers cannot start does not report success. Threads are
 * made impossible by a default stack larger than any machine's memory, set
 * once nng has started its own threads. */
static void start_fails_when_workers_cannot_start(void **state)
{
    (void)state;
    rpc_handler_fn table[RPCI_USERS_COUNT];
    for (size_t i = 0; i < RPCI_USERS_COUNT; i++)
        table[i] = serve;
    const rpc_service svc = RPC_SERVICE(&rcycle__users__users__descriptor, table);
    nng_socket warm;
    assert_int_equal(nng_rep0_open(&warm), 0);
    assert_int_equal(nng_listen(warm, "inproc://warm", NULL, 0), 0);
    pthread_attr_t normal, huge;
    assert_int_equal(pthread_getattr_default_np(&normal), 0);
    pthread_attr_init(&huge);
    assert_int_equal(pthread_attr_setstacksize(&huge, (size_t)1 << 46), 0);
    assert_int_equal(pthread_setattr_default_np(&huge), 0);
    rpc_server *server = NULL;
    const rpc_listen listen = {"inproc://workers", NULL, RPC_LISTENER_PUBLIC};
    rc_status st = rpc_server_start(&listen, 1, &svc, 4, 0, NULL, NULL, &server);
    assert_int_equal(pthread_setattr_default_np(&normal), 0);
    pthread_attr_destroy(&huge);
    pthread_attr_destroy(&normal);
    if (st == RC_OK)
        rpc_server_stop(server);
    nng_close(warm);
    assert_int_not_equal(st, RC_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(complete_table_passes),
        cmocka_unit_test(missing_method_is_named),
        cmocka_unit_test(table_of_another_size_is_refused),
        cmocka_unit_test(listener_table_of_another_size_is_refused),
        cmocka_unit_test(limited_method_is_refused_elsewhere),
        cmocka_unit_test(constants_match_descriptors),
        cmocka_unit_test(start_fails_when_workers_cannot_start),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* static_ui.c - the browser UI as static files, and the response headers
 * that keep a page from being framed, sniffed or made to run foreign code.
 *
 * The UI has no build step and no third-party code, so the policy can be
 * strict: scripts, styles, images and connections only from this origin, no
 * inline script, no framing. Files are revalidated on every use (no-cache,
 * with the ETag h2o computes), so a new version is picked up at once without
 * hashed file names. */
#include "admit.h"
#include "gateway.h"
#include "static_ui.h"

#define GZIP_MIN_BYTES 512
#define GZIP_QUALITY   6

static h2o_iovec_t csp_name = {H2O_STRLIT("content-security-policy")};
static h2o_iovec_t nosniff_name = {H2O_STRLIT("x-content-type-options")};
static h2o_iovec_t referrer_name = {H2O_STRLIT("referrer-policy")};
static h2o_iovec_t frame_name = {H2O_STRLIT("x-frame-options")};
static h2o_iovec_t cache_name = {H2O_STRLIT("cache-control")};

#define SECURITY_HEADER_COMMANDS                                                                   \
    {H2O_HEADERS_CMD_SET,                                                                          \
     &csp_name,                                                                                    \
     {H2O_STRLIT("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " \
                 "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "    \
                 "frame-ancestors 'none'")}},                                                      \
        {H2O_HEADERS_CMD_SET, &nosniff_name, {H2O_STRLIT("nosniff")}},                             \
        {H2O_HEADERS_CMD_SET, &referrer_name, {H2O_STRLIT("no-referrer")}},                        \
    {                                                                                              \
        H2O_HEADERS_CMD_SET, &frame_name,                                                          \
        {                                                                                          \
            H2O_STRLIT("DENY")                                                                     \
        }                                                                                          \
    }

/* h2o keeps pointers to these lists, so they are static. */
static h2o_headers_command_t security_headers[] = {
    SECURITY_HEADER_COMMANDS,
    {H2O_HEADERS_CMD_NULL, NULL, {NULL, 0}},
};

static h2o_headers_command_t page_headers[] = {
    SECURITY_HEADER_COMMANDS,
    {H2O_HEADERS_CMD_SET, &cache_name, {H2O_STRLIT("no-cache")}},
    {H2O_HEADERS_CMD_NULL, NULL, {NULL, 0}},
};

void gw_register_security_headers(h2o_pathconf_t *pathconf)
{
    h2o_headers_register(pathconf, security_headers);
}

/* Runs before the file handler and passes every request on: a file carries
 * an X-Request-Id like every API answer, so a report about a page can be
 * found in the log. A path with a NUL goes to the API's entry point instead,
 * which refuses it: h2o would open the file named up to the NUL and take the
 * type from the name after it. */
static int stamp_request_id(h2o_handler_t *self, h2o_req_t *req)
{
    size_t path_len = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
    if (admit_path_has_nul(req->path.base, path_len))
        return gw_on_api_request(self, req);
    char id[GW_REQUEST_ID_LEN];
    gw_request_id(req, id);
    h2o_iovec_t v = h2o_strdup(&req->pool, id, SIZE_MAX);
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-request-id"), 0, NULL,
                          v.base, v.len);
    return -1;
}

h2o_pathconf_t *gw_register_ui(h2o_hostconf_t *host, const char *ui_dir, gateway *gw)
{
    static const char *index_files[] = {"index.html", NULL};
    h2o_pathconf_t *pathconf = h2o_config_register_path(host, "/", 0);
    /* Text types say their charset, so no browser has to guess. */
    h2o_mimemap_t *types = h2o_mimemap_create();
    h2o_mimemap_define_mimetype(types, "html", "text/html; charset=utf-8", NULL);
    h2o_mimemap_define_mimetype(types, "css", "text/css; charset=utf-8", NULL);
    h2o_mimemap_define_mimetype(types, "js", "text/javascript; charset=utf-8", NULL);
    h2o_mimemap_define_mimetype(types, "mjs", "text/javascript; charset=utf-8", NULL);
    h2o_mimemap_define_mimetype(types, "json", "application/json; charset=utf-8", NULL);
    h2o_mimemap_define_mimetype(types, "svg", "image/svg+xml; charset=utf-8", NULL);
    gw_handler *stamp = (gw_handler *)h2o_create_handler(pathconf, sizeof *stamp);
    stamp->super.on_req = stamp_request_id;
    stamp->gw = gw;
    h2o_file_register(pathconf, ui_dir, index_files, types, 0);
    h2o_mem_release_shared(types);
    h2o_compress_args_t gzip = {
        .min_size = GZIP_MIN_BYTES, .gzip = {.quality = GZIP_QUALITY}, .brotli = {.quality = -1}};
    h2o_compress_register(pathconf, &gzip);
    h2o_headers_register(pathconf, page_headers);
    return pathconf;
}

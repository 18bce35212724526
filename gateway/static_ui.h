/* static_ui.h - serving the browser UI (gateway/ui/) from the gateway. */
#ifndef RCYCLE_GATEWAY_STATIC_UI_H
#define RCYCLE_GATEWAY_STATIC_UI_H

#include <h2o.h>

struct gateway;

/* Serves the files under ui_dir at "/" (index.html for directories), with
 * ETags, gzip for text and the security headers of a page. Register it after
 * every other path: h2o picks the first registered prefix that matches.
 * Returns the path's configuration: a handler added to it after this one
 * gets the requests for which no file exists. A path with a NUL is no file:
 * it gets the API's 400 (gw's handler) before the file handler sees it. */
h2o_pathconf_t *gw_register_ui(h2o_hostconf_t *host, const char *ui_dir, struct gateway *gw);

/* The security headers every response carries, pages and API alike. */
void gw_register_security_headers(h2o_pathconf_t *pathconf);

#endif

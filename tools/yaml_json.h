/* yaml_json.h - one YAML document as a jansson value.
 *
 * Plain scalars are typed by the YAML 1.2 core schema (null, booleans,
 * decimal integers and floats), the schema JavaScript's `yaml` package uses,
 * so a JavaScript reader of the YAML and a reader of the JSON see the same
 * document. What the two could read differently is refused, with the line
 * and column: anchors and aliases, tags other than !!str, non-scalar or
 * duplicate keys, hexadecimal or octal integers, .inf and .nan, more than one
 * document. Keys become strings whatever their YAML type (200: is "200"). */
#ifndef RCYCLE_YAML_JSON_H
#define RCYCLE_YAML_JSON_H

#include <stddef.h>

#include <jansson.h>

#define YAML_JSON_ERR_LEN 512

/* The document in text[0..len) (name is for messages); a new reference, or
 * NULL with err set ("name:line:column: why"). */
json_t *yaml_json_parse(const char *name, const char *text, size_t len,
                        char err[YAML_JSON_ERR_LEN]);

/* The same for the file at path. */
json_t *yaml_json_load(const char *path, char err[YAML_JSON_ERR_LEN]);

#endif

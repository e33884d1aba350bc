// Request and response helpers of `mmi serve` that need no socket: the query string, error
// bodies, JSON fields of the decision record, digests and timestamps.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "engine/mmi.hpp"

namespace mmi::serve {

// Lower-case hex SHA-256 of `data` (case digests in the decision log, the bearer token compare).
std::string sha256_hex(std::string_view data);
// Now, as 2026-11-30T22:14:24.123Z.
std::string utc_now();
// Percent-decoding of one query component ('+' is a space); false on a bad escape.
bool url_decode(std::string_view in, std::string& out);

struct Query {
  bool explain = false;
  std::optional<DayNumber> as_of;
  ParameterOverrides set;
  std::string format;
  std::string error;  // a bad query: 400
};
Query parse_query(std::string_view q);

struct Reply {
  unsigned status = 200;
  std::string body;
  const char* content_type = "application/json";
};
Reply error_reply(unsigned status, std::string_view message);

// `"key":"value"` (or `"key":null` when empty and null_if_empty).
void json_field(std::string& out, const char* key, std::string_view value, bool null_if_empty);

}  // namespace mmi::serve

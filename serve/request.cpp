// Request and response helpers of `mmi serve` (request.hpp).
#include "serve/request.hpp"

#include <fmt/format.h>
#include <openssl/sha.h>

#include <chrono>
#include <ctime>

#include "engine/value_json.hpp"
#include "rules/calendar.hpp"

namespace mmi::serve {

std::string sha256_hex(std::string_view data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  std::string hex;
  hex.reserve(2 * sizeof md);
  for (unsigned char b : md) hex += fmt::format("{:02x}", b);
  return hex;
}

std::string utc_now() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03}Z", buf, ms);
}

bool url_decode(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t k = 0; k < in.size(); ++k) {
    char c = in[k];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      if (k + 2 >= in.size()) return false;
      auto hex = [](char h) -> int {
        if (h >= '0' && h <= '9') return h - '0';
        if (h >= 'a' && h <= 'f') return h - 'a' + 10;
        if (h >= 'A' && h <= 'F') return h - 'A' + 10;
        return -1;
      };
      int hi = hex(in[k + 1]), lo = hex(in[k + 2]);
      if (hi < 0 || lo < 0) return false;
      out += static_cast<char>(hi * 16 + lo);
      k += 2;
    } else {
      out += c;
    }
  }
  return true;
}

Query parse_query(std::string_view q) {
  Query out;
  std::string key, value;
  while (!q.empty()) {
    auto amp = q.find('&');
    std::string_view item = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    if (item.empty()) continue;
    auto eq = item.find('=');
    if (!url_decode(item.substr(0, eq), key) ||
        !url_decode(eq == std::string_view::npos ? "" : item.substr(eq + 1), value)) {
      out.error = "bad percent-encoding in the query";
      return out;
    }
    if (key == "explain") {
      if (value != "true" && value != "false" && value != "1" && value != "0") {
        out.error = "explain takes true or false, not `" + value + "`";
        return out;
      }
      out.explain = value == "true" || value == "1";
    } else if (key == "as_of") {
      out.as_of = parse_iso_date(value);
      if (!out.as_of) {
        out.error = "as_of takes a date YYYY-MM-DD, not `" + value + "`";
        return out;
      }
    } else if (key == "set") {
      auto e = value.find('=');
      if (e == std::string::npos || e == 0) {
        out.error = "set takes NAME=VALUE, not `" + value + "`";
        return out;
      }
      out.set.emplace_back(value.substr(0, e), value.substr(e + 1));
    } else if (key == "format") {
      out.format = value;
    } else {
      out.error = "unknown query parameter `" + key + "`";
      return out;
    }
  }
  return out;
}

Reply error_reply(unsigned status, std::string_view message) {
  Reply r;
  r.status = status;
  r.body = fmt::format("{{\"error\":{{\"status\":{},\"message\":", status);
  append_json_string(r.body, message);
  r.body += "}}";
  return r;
}

void json_field(std::string& out, const char* key, std::string_view value, bool null_if_empty) {
  out += '"';
  out += key;
  out += "\":";
  if (null_if_empty && value.empty())
    out += "null";
  else
    append_json_string(out, value);
}

}  // namespace mmi::serve

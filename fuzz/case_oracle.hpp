// A differential oracle for JSON case lines (issue 15: "never read differently"): nlohmann::json,
// a strict RFC 8259 parser independent of simdjson, made stricter still by rejecting duplicate
// keys. For a line:
//   - the oracle rejects it → mmi must reject it;
//   - the oracle accepts it → the oracle writes its reading back as plain JSON (keys in order,
//     text re-escaped, numbers normalized to `digits e exponent`), and mmi must read the line
//     exactly as it reads that plain form: the same facts, or the same error (code and path).
// Used by fuzz/case_fuzz.cpp and by tests/unit/case_strict_test.cpp on a hostile corpus.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/case.hpp"

namespace mmi_oracle {

// Numbers as the oracle normalizes them: "812.50" → "81250e-2", "-0.0" → "0".
inline std::string normalize_number(std::string_view raw) {
  std::string digits;
  bool negative = !raw.empty() && raw[0] == '-';
  std::int64_t exponent = 0, fraction = 0;
  std::size_t i = negative ? 1 : 0;
  bool in_fraction = false;
  for (; i < raw.size() && raw[i] != 'e' && raw[i] != 'E'; ++i) {
    if (raw[i] == '.') {
      in_fraction = true;
      continue;
    }
    if (in_fraction) ++fraction;
    if (digits.empty() && raw[i] == '0') continue;
    digits += raw[i];
  }
  if (i < raw.size()) {
    ++i;
    bool negative_exponent = i < raw.size() && raw[i] == '-';
    if (i < raw.size() && (raw[i] == '-' || raw[i] == '+')) ++i;
    for (; i < raw.size(); ++i)
      exponent = std::min<std::int64_t>(exponent * 10 + (raw[i] - '0'), 2'000'000'000);
    if (negative_exponent) exponent = -exponent;
  }
  if (digits.empty()) return "0";
  return (negative ? "-" : "") + digits + "e" + std::to_string(exponent - fraction);
}

// Builds the plain form while parsing; false from any handler stops the parse (a rejection).
class PlainWriter final : public nlohmann::json_sax<nlohmann::json> {
 public:
  std::string out;

  bool null() override { return value("null"); }
  bool boolean(bool b) override { return value(b ? "true" : "false"); }
  bool number_integer(number_integer_t v) override { return number(std::to_string(v)); }
  bool number_unsigned(number_unsigned_t v) override { return number(std::to_string(v)); }
  bool number_float(number_float_t, const string_t& raw) override { return number(raw); }
  bool string(string_t& s) override { return value(nlohmann::json(s).dump()); }
  bool binary(binary_t&) override { return false; }
  bool start_object(std::size_t) override {
    if (!value("{")) return false;
    frames_.push_back({true, true, {}});
    return true;
  }
  bool key(string_t& k) override {
    Frame& f = frames_.back();
    for (const auto& seen : f.keys)
      if (seen == k) return false;  // a duplicate key: rejected
    f.keys.push_back(k);
    if (!f.first) out += ',';
    f.first = false;
    out += nlohmann::json(k).dump();
    out += ':';
    after_key_ = true;
    last_key_ = k;
    return true;
  }
  bool end_object() override {
    frames_.pop_back();
    out += '}';
    return true;
  }
  bool start_array(std::size_t) override {
    if (!value("[")) return false;
    frames_.push_back({false, true, {}});
    return true;
  }
  bool end_array() override {
    frames_.pop_back();
    out += ']';
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  struct Frame {
    bool object;
    bool first;
    std::vector<std::string> keys;
  };
  std::vector<Frame> frames_;
  bool after_key_ = false;
  std::string last_key_;

  bool number(const std::string& raw) {
    // A root `id` is text echoed as written, numbers included: keep it.
    bool root_id = frames_.size() == 1 && after_key_ && last_key_ == "id";
    return value(root_id ? raw : normalize_number(raw));
  }
  bool value(const std::string& text) {
    if (!frames_.empty() && !frames_.back().object) {
      if (!frames_.back().first) out += ',';
      frames_.back().first = false;
    }
    after_key_ = false;
    out += text;
    return true;
  }
};

// The plain form of `line`, or false when the oracle rejects it.
inline bool plain_form(std::string_view line, std::string& plain) {
  // nlohmann's lexer takes a NUL byte for the end of the input; in JSON it is never valid (an
  // unescaped control character in text, an unknown token elsewhere).
  if (line.find('\0') != std::string_view::npos) return false;
  PlainWriter writer;
  bool ok = false;
  try {
    ok = nlohmann::json::sax_parse(line.begin(), line.end(), &writer,
                                   nlohmann::json::input_format_t::json, true);
  } catch (const std::exception&) {
    ok = false;
  }
  if (ok) plain = std::move(writer.out);
  return ok;
}

// What a load gave, comparable between two spellings of one case: the facts (every slot and list
// field), the id and as_of, warnings, or the error's code and path (its message names columns).
inline std::string describe(const mmi::CaseData& c) {
  std::string s;
  if (c.error) return "error " + std::string(mmi::code_name(c.error->code)) + " at " + c.error->at;
  s += "id=" + c.id + " as_of=" + (c.has_as_of ? std::to_string(c.as_of) : "-") + "\n";
  auto value = [&](const mmi::Value& v) {
    switch (v.kind) {
      case mmi::Kind::missing:
        return std::string("missing");
      case mmi::Kind::boolean:
        return std::string(v.b ? "true" : "false");
      case mmi::Kind::number:
        return "n:" + v.as_number().to_string();
      case mmi::Kind::text:
        return "t:" + std::string(v.as_text());
      case mmi::Kind::date:
      case mmi::Kind::duration:
      case mmi::Kind::period:
        return "i" + std::to_string(static_cast<int>(v.kind)) + ":" + std::to_string(v.i);
      default:
        return "k" + std::to_string(static_cast<int>(v.kind));
    }
  };
  for (const auto& v : c.slots) s += value(v) + ",";
  for (const auto& l : c.lists) {
    s += "\n[" + std::to_string(l.items.size()) + "]";
    for (const auto& v : l.fields) s += value(v) + ",";
  }
  for (const auto& w : c.warnings)
    s += "\nwarning " + std::string(mmi::code_name(w.code)) + " at " + w.at;
  return s;
}

// "" when mmi reads `line` as the oracle does, else what differs. `load` loads a JSON text into
// a CaseData and returns it (e.g. [&](auto text) -> auto& { return session.load_json(text); }).
template <typename Load>
std::string check_line(std::string_view line, Load&& load) {
  std::string plain;
  bool oracle_accepts = plain_form(line, plain);
  std::string ours = describe(load(line));
  if (!oracle_accepts) {
    if (ours.rfind("error ", 0) != 0)
      return "accepted a line a strict JSON parser rejects:\n  " + std::string(line);
    return "";
  }
  std::string theirs = describe(load(plain));
  if (ours != theirs)
    return "read differently from a strict JSON parser:\n  line:  " + std::string(line) +
           "\n  plain: " + plain + "\n  mmi(line):  " + ours + "\n  mmi(plain): " + theirs;
  return "";
}

}  // namespace mmi_oracle

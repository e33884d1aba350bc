// The JSON fast path of CaseLoader: reads a case line in one pass over its bytes, driven by the
// policy's record layouts, when the line is plain — every key declared, no escapes, no
// duplicates, every value of its declared type. Anything else (an error, an unknown field, an
// escaped string) makes it decline, and CaseLoader's full reader reads the line again and says
// exactly what is wrong. A line it accepts is one the full reader accepts, loaded the same way.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/case.hpp"

namespace mmi {

// "P14D", "P2W" → days; "P1Y2M" → months (duration and period facts given as text).
std::optional<std::int64_t> parse_iso_span(std::string_view s, bool months);

// Empties `out` for a case of `policy` (capacities kept).
void reset_case(CaseData& out, const CheckedPolicy& policy);

// Scratch for sorting a dated list, reused from case to case.
struct SortScratch {
  std::vector<std::uint32_t> order;
  std::vector<Value> values;
};
// Stable sort of a list's first `n` items by their date; items without a date go last.
void sort_by_date(CaseList& list, const RecordLayout& layout, std::size_t n, SortScratch& scratch);

class JsonCaseReader {
 public:
  // keep_unread_lists: as CaseOptions (otherwise lists no node reads are validated, not kept).
  JsonCaseReader(const Graph& graph, bool keep_unread_lists);
  // Not copied: its compiled names point into its own tails_.
  JsonCaseReader(const JsonCaseReader&) = delete;
  JsonCaseReader& operator=(const JsonCaseReader&) = delete;

  // Loads the JSON text [data, data + size) — with kJsonPadding readable bytes after it — into
  // `out` and returns true, or returns false (out then half-written) when the full reader must
  // read it.
  bool read(const char* data, std::size_t size, CaseData& out);

  // The month of the last date read: `YYYY-MM-` as a word, its first day and length.
  struct Month {
    std::uint64_t key = 0;
    DayNumber first = 0;
    unsigned days = 0;
  };

 private:
  // A name as two zero-padded 8-byte words and its length: most compares are two loads.
  struct Name {
    std::uint64_t w0 = 0, w1 = 0;
    std::uint32_t length = 0;
    const char* text = nullptr;  // the whole name (compared past 16 bytes)
  };
  // A text and the bytes that follow it (a closing quote, a colon), compared in place at a quote:
  // its first 16 bytes as two words and their masks, the rest (`tail`, in tails_) by memcmp.
  struct QuotedValue {
    std::uint64_t w0 = 0, w1 = 0, m0 = 0, m1 = 0;
    std::uint32_t length = 0;
    const char* tail = nullptr;  // bytes 16 on, when longer
  };
  QuotedValue quoted_value(const std::string& text);
  bool matches(const char* q, std::uint64_t w0, std::uint64_t w1, const QuotedValue& want) const;
  bool at_key(const char* q, const QuotedValue& want) const;  // matches() at the quote `q`
  // What a record field holds and where it goes, compiled from the layout.
  struct Field {
    Name name;
    QuotedValue quoted;            // `name":`
    TypeTag tag = TypeTag::error;  // of the field, or of a list's items
    bool list = false;
    std::uint32_t offset = 0;  // slot in the record
    std::uint32_t target = 0;  // list, record layout or enum
    std::uint32_t index = 0;   // in the layout
  };
  struct Layout {
    std::vector<Field> fields;
    std::vector<std::uint8_t> table;      // hash of a key → field + 1, 0 when free
    std::uint64_t mask = 0;               // table size - 1
    std::vector<std::uint32_t> required;  // offsets of required fields (list items)
    // The fields the mappings read gave, distinct, in the order they gave them (an optional key
    // one mapping left out stays): each key is first compared with the entries after the last
    // key's.
    std::vector<std::uint8_t> order;
    std::int32_t from = -1, to = -1;  // offsets of a `from`/`to` date pair, -1 when none
    bool fits = true;                 // few enough fields for the one-bit duplicate check
    std::uint64_t required_bits = 0;  // required fields, by index
    // Whether skim_item may follow `order`: distinct scalar fields, some first ones covering the
    // required ones (0: not yet known since `order` last changed, 1: yes, -1: no).
    std::int8_t skim = 0;
    std::uint32_t skim_keys = 0;  // the fewest keys of `order` that cover the required fields
    bool flat = false;            // every field a scalar, and fits: flat_item reads its mappings
  };
  const Graph& g_;
  bool keep_unread_lists_ = false;
  bool keep_text_ = true;       // false inside an unread list: its texts are not copied
  std::vector<Value> scratch_;  // the item of an unread list being validated
  std::vector<Layout> layouts_;
  std::deque<std::string> tails_;
  QuotedValue id_key_, as_of_key_;  // the root's keys that are not facts: `id":`, `as_of":`  //
                                    // QuotedValue::tail of names and values past 16 bytes
  std::vector<std::vector<Name>> enum_names_;  // per enum, as Graph::enum_values
  // An enum's values with their closing quote, grouped by first byte: the group of a byte b is
  // [start[b], stop[b]) of `quoted`; `value` gives each one's index in Graph::enum_values.
  struct EnumTable {
    std::vector<QuotedValue> quoted;
    std::vector<std::uint32_t> value;
    std::array<std::uint16_t, 256> start, stop;
  };
  std::vector<EnumTable> enums_;
  SortScratch sort_;
  Month month_;
  const char* end_ = nullptr;

  static Name name_of(std::string_view s);
  static Name key_name(const char* key, std::size_t size);  // reads 16 bytes (padding)
  static bool same(const Name& a, const Name& b);
  static std::uint64_t hash(const Name& n);
  const Field* find_field(std::uint32_t layout, std::string_view key) const;
  bool record(const char*& p, std::uint32_t layout, Value* base, CaseData& out, bool root);
  bool list(const char*& p, std::uint32_t list_index, CaseData& out);
  template <bool kKeep>  // false: the values are validated only (an unread list)
  bool skim_item(const char*& p, Layout& layout, Value* item, CaseData& out);
  static bool can_skim(Layout& layout);
  // Entries of `order` a key is compared with before it is looked up (all of them).
  static constexpr std::size_t kKeyTries = 64;
  const Field* match_key(const char*& q, const Layout& layout, std::size_t& next,
                         std::size_t tries) const;
  static std::size_t place_key(Layout& layout, std::size_t at, const Field& field);
  template <bool kKeep>
  bool flat_item(const char*& p, Layout& layout, Value* item, CaseData& out);
  bool unread_list(const char*& p, std::uint32_t list_index, CaseData& out);
  bool scalar(const char*& p, const Field& field, Value& slot, CaseData& out);
};

}  // namespace mmi

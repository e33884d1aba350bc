// Batch stage 1: reads a book of cases (JSON Lines or a YAML stream) in chunks of whole records,
// with large reads and bounded memory: a record longer than the limit is skipped (reported as a
// problem record naming its line), never buffered whole.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mmi {

enum class CaseFormat { json_lines, yaml_stream };

// One case of the input: a JSON line or a YAML document.
struct CaseRecord {
  std::uint64_t line = 0;             // 1-based line where the record starts
  std::uint32_t begin = 0, size = 0;  // bytes in CaseChunk::text
  const char* problem = nullptr;      // set when the record could not be read (too long)
};

struct CaseChunk {
  std::uint64_t sequence = 0;     // position of the chunk in the input
  std::uint64_t input_bytes = 0;  // bytes of input it covers (for progress)
  std::string text;               // a buffer the records point into (JSON Lines: only partly used)
  std::vector<CaseRecord> records;

  std::string_view record_text(const CaseRecord& r) const {
    return {text.data() + r.begin, r.size};
  }
};

struct CaseStreamOptions {
  std::size_t chunk_bytes = 512 * 1024;            // a chunk closes after this much input…
  std::size_t chunk_records = 1024;                // …or this many records
  std::size_t max_record_bytes = 4 * 1024 * 1024;  // longer records become problem records
  std::uint64_t first_line = 1;  // number of the input's first line (a shard's place in its book)
  // Input with no line end in this many bytes is not a book of cases (e.g. /dev/zero): the
  // stream stops with an error rather than skip it forever.
  std::uint64_t max_unterminated_bytes = 64ull * 1024 * 1024;
  // A `*.json` file holds one case, possibly over many lines (`mmi batch` on files and
  // directories): its line breaks outside strings are read as spaces, making it one record.
  bool json_file_is_one_case = false;
};

class CaseStream {
 public:
  virtual ~CaseStream() = default;
  // Fills `chunk` (cleared first, capacity reused) with the next records. False at the end of
  // the input (chunk then empty) or on a read error (see error()).
  virtual bool next(CaseChunk& chunk) = 0;
  // A read error ("" when none).
  const std::string& error() const { return error_; }
  CaseFormat format() const { return format_; }
  // Records handed out so far (cases read): a batch writes exactly one result for each.
  std::uint64_t records_read() const { return records_read_; }
  // Size of the input when it is a regular file, else 0.
  std::uint64_t total_bytes() const { return total_bytes_; }
  void set_total_bytes(std::uint64_t n) { total_bytes_ = n; }

 protected:
  std::string error_;
  CaseFormat format_ = CaseFormat::json_lines;
  std::uint64_t total_bytes_ = 0;
  std::uint64_t records_read_ = 0;
};

// Opens `path` ("-" is stdin). A UTF-8 byte order mark at the start is skipped. The format comes
// from the content: a first non-blank byte `{` is JSON Lines — for a .yaml/.yml name only when
// that first line is a whole JSON value (else it is a YAML flow mapping) — and anything else is
// a YAML stream, except under a .jsonl/.ndjson/.json name (JSON Lines, so each bad line is an
// error result). Null, with `error` set, when the file cannot be opened.
std::unique_ptr<CaseStream> open_case_stream(const std::string& path,
                                             const CaseStreamOptions& options, std::string& error);

}  // namespace mmi

// The decision log: one JSON line per decision, appended to a file by a writer thread through a
// bounded queue. A record is queued before its decision is answered; when the queue is full or
// the file cannot be written (a full disk), push() refuses and the caller answers 503 instead
// of an unlogged decision. Records that failed to write stay queued and are retried, never
// dropped. The file is rotated by size (FILE → FILE.1 → … → FILE.keep).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace mmi::serve {

struct DecisionLogOptions {
  std::string path;
  std::size_t queue_capacity = 65536;              // records waiting to be written
  std::uint64_t max_bytes = 256ull * 1024 * 1024;  // rotate past this size (0: never)
  unsigned keep = 5;                               // rotated files kept
  bool fsync = false;                              // fdatasync after every write
  unsigned retry_ms = 200;                         // after a failed write
};

class DecisionLog {
 public:
  enum class Push { ok, full, failing };

  DecisionLog() = default;
  ~DecisionLog();
  DecisionLog(const DecisionLog&) = delete;
  DecisionLog& operator=(const DecisionLog&) = delete;

  // Opens (appends to) the file and starts the writer; false with `error` set when it cannot.
  bool open(const DecisionLogOptions& options, std::string& error);
  bool enabled() const { return fd_ >= 0; }
  // Queues one record (a JSON object without the newline).
  Push push(std::string&& record);  // moved from only when ok
  // False while the last write failed (the queue is then kept, not drained).
  bool healthy() const { return !failing_.load(); }
  std::size_t depth() const { return depth_.load(); }
  std::uint64_t written() const { return written_.load(); }
  std::uint64_t write_failures() const { return write_failures_.load(); }
  // Writes what is queued (retrying a failing file for at most `patience_ms`) and stops the
  // writer. Returns the number of records that could not be written.
  std::size_t close(unsigned patience_ms);

 private:
  void run();
  bool write_all(const std::string& data);
  void rotate_if_needed(std::size_t incoming);  // before a write of `incoming` bytes

  DecisionLogOptions options_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;  // guarded by mu_
  bool stopping_ = false;          // guarded by mu_
  std::size_t unwritten_at_stop_ = 0;
  std::atomic<unsigned> patience_ms_{0};
  std::atomic<std::size_t> depth_{0};
  std::atomic<bool> failing_{false};
  std::atomic<std::uint64_t> written_{0}, write_failures_{0};
  std::thread writer_;
};

}  // namespace mmi::serve

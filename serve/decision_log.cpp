#include "serve/decision_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

namespace mmi::serve {

DecisionLog::~DecisionLog() {
  close(0);
}

bool DecisionLog::open(const DecisionLogOptions& options, std::string& error) {
  options_ = options;
  fd_ = ::open(options.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) {
    error = "cannot open decision log `" + options.path + "`: " + std::strerror(errno);
    return false;
  }
  struct stat st {};
  if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode)) size_ = static_cast<std::uint64_t>(st.st_size);
  writer_ = std::thread([this] { run(); });
  return true;
}

DecisionLog::Push DecisionLog::push(std::string&& record) {
  if (failing_.load()) return Push::failing;
  bool was_empty;
  {
    std::lock_guard lk(mu_);
    if (depth_.load() >= options_.queue_capacity) return Push::full;
    was_empty = queue_.empty();
    queue_.push_back(std::move(record));
    queue_.back() += '\n';
    depth_.fetch_add(1);
  }
  if (was_empty) cv_.notify_one();  // the writer only sleeps on an empty queue
  return Push::ok;
}

bool DecisionLog::write_all(const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  if (options_.fsync && ::fdatasync(fd_) != 0 && errno != EINVAL) return false;
  size_ += data.size();
  return true;
}

void DecisionLog::rotate_if_needed(std::size_t incoming) {
  if (options_.max_bytes == 0 || size_ == 0 || size_ + incoming <= options_.max_bytes) return;
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) return;  // /dev/null and the like
  const std::string& base = options_.path;
  for (unsigned k = options_.keep; k >= 1; --k) {
    std::string from = k == 1 ? base : base + "." + std::to_string(k - 1);
    std::string to = base + "." + std::to_string(k);
    ::rename(from.c_str(), to.c_str());  // a missing older file is fine
  }
  if (options_.keep == 0) ::unlink(base.c_str());
  int fd = ::open(base.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) {
    std::fprintf(stderr, "mmi serve: cannot reopen decision log after rotation: %s\n",
                 std::strerror(errno));
    return;  // keep writing to the rotated file rather than losing records
  }
  ::close(fd_);
  fd_ = fd;
  size_ = 0;
}

void DecisionLog::run() {
  std::vector<std::string> batch;
  std::string data;
  for (;;) {
    bool stopping;
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [&] { return !queue_.empty() || stopping_; });
      stopping = stopping_;
      // Take up to 4096 records; they stay counted in depth_ until written.
      batch.clear();
      while (!queue_.empty() && batch.size() < 4096) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if (batch.empty() && stopping) return;
    // Segments that end where the file reaches its size limit, so rotation is exact.
    for (std::size_t next = 0; next < batch.size();) {
      rotate_if_needed(batch[next].size());
      data.clear();
      std::size_t end = next;
      while (end < batch.size() && (options_.max_bytes == 0 || end == next ||
                                    size_ + data.size() + batch[end].size() <= options_.max_bytes))
        data += batch[end++];
      auto give_up_at =
          std::chrono::steady_clock::now() + std::chrono::milliseconds(patience_ms_.load());
      while (!write_all(data)) {
        write_failures_.fetch_add(1);
        if (!failing_.exchange(true))
          std::fprintf(stderr, "mmi serve: cannot write decision log `%s`: %s; answering 503\n",
                       options_.path.c_str(), std::strerror(errno));
        // A partial write may have landed; the retry then repeats those records (a duplicate
        // line is recoverable, a lost one is not).
        std::this_thread::sleep_for(std::chrono::milliseconds(options_.retry_ms));
        std::lock_guard lk(mu_);
        if (stopping_ && std::chrono::steady_clock::now() >= give_up_at) {
          unwritten_at_stop_ = depth_.load();
          return;
        }
        if (stopping_ && !stopping) {
          stopping = true;
          give_up_at =
              std::chrono::steady_clock::now() + std::chrono::milliseconds(patience_ms_.load());
        }
      }
      if (failing_.exchange(false))
        std::fprintf(stderr, "mmi serve: decision log `%s` writable again\n",
                     options_.path.c_str());
      written_.fetch_add(end - next);
      depth_.fetch_sub(end - next);
      next = end;
    }
  }
}

std::size_t DecisionLog::close(unsigned patience_ms) {
  if (!writer_.joinable()) return unwritten_at_stop_;
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
    patience_ms_ = patience_ms;
  }
  cv_.notify_all();
  writer_.join();
  if (fd_ >= 0) {
    ::fsync(fd_);
    ::close(fd_);
    fd_ = -1;
  }
  return unwritten_at_stop_;
}

}  // namespace mmi::serve

#include "engine/output_file.hpp"

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace mmi {

namespace {

// Temporary files a signal handler must remove. A handler may only read plain memory and call
// async-signal-safe functions, hence fixed buffers and lock-free flags: `live` is set once the
// path is complete and cleared before the file goes away.
struct TempSlot {
  std::atomic<bool> claimed{false};
  std::atomic<bool> live{false};
  char path[PATH_MAX];
};
constexpr int kTempSlots = 16;
TempSlot g_temps[kTempSlots];

int list_temp(const std::string& path) {
  if (path.size() >= PATH_MAX) return -1;
  for (int k = 0; k < kTempSlots; ++k) {
    bool expected = false;
    if (!g_temps[k].claimed.compare_exchange_strong(expected, true)) continue;
    std::memcpy(g_temps[k].path, path.c_str(), path.size() + 1);
    g_temps[k].live.store(true, std::memory_order_release);
    return k;
  }
  return -1;  // more than 16 open at once: still removed on errors, not on signals
}

void unlist_temp(int slot) {
  if (slot < 0) return;
  g_temps[slot].live.store(false, std::memory_order_release);
  g_temps[slot].claimed.store(false, std::memory_order_release);
}

std::string directory_of(const std::string& path) {
  std::string::size_type slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// The file a write through `path` reaches: symbolic links followed (at most 40, like the
// kernel), relative ones from their link's directory. A dangling link gives its target's path.
// `magic`: the chain goes through /proc (/dev/stdout, /dev/fd/N), whose links name open files,
// not paths: such an output is written in place.
bool follow_links(std::string path, std::string& target, bool& magic, std::string& error) {
  magic = false;
  for (int hop = 0; hop < 40; ++hop) {
    if (path.rfind("/proc/", 0) == 0) magic = true;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) {
      target = path;
      return true;
    }
    std::string link(PATH_MAX, '\0');
    ssize_t n = ::readlink(path.c_str(), link.data(), link.size());
    if (n < 0) {
      error = std::strerror(errno);
      return false;
    }
    link.resize(static_cast<std::size_t>(n));
    if (link.empty() || link[0] == '/') {
      path = link;
    } else {
      std::string dir = directory_of(path);
      path = dir == "." ? link : (dir == "/" ? "/" : dir + "/") + link;
    }
  }
  error = std::strerror(ELOOP);
  return false;
}

}  // namespace

std::string printable(std::string_view text) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    unsigned code = 0;  // a code point to write as \uXXXX
    if (c == '\\') {
      out += "\\\\";
      continue;
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
      continue;
    } else if (c < 0x20 || c == 0x7f) {
      const char* named = c == '\n'   ? "\\n"
                          : c == '\t' ? "\\t"
                          : c == '\r' ? "\\r"
                          : c == '\b' ? "\\b"
                          : c == '\f' ? "\\f"
                                      : nullptr;
      if (named) {
        out += named;
        continue;
      }
      code = c;
    } else if (c == 0xc2 && i + 1 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      code = static_cast<unsigned char>(text[++i]);  // U+0080..U+009F, the C1 controls
    } else if (c == 0xe2 && i + 2 < text.size() && text[i + 1] == '\x80' &&
               (text[i + 2] == '\xa8' || text[i + 2] == '\xa9')) {
      code = text[i + 2] == '\xa8' ? 0x2028 : 0x2029;
      i += 2;
    } else {
      out += static_cast<char>(c);
      continue;
    }
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(code >> shift) & 0xf];
  }
  return out;
}

std::string output_name(const std::string& path) {
  return path == "-" ? std::string("stdout") : path;
}

void OutputFile::remove_temporaries() noexcept {
  for (auto& slot : g_temps)
    if (slot.live.load(std::memory_order_acquire)) ::unlink(slot.path);
}

OutputFile::~OutputFile() {
  abort();
}

bool OutputFile::fail(const std::string& message) {
  error_ = output_name(path_) + ": " + message;
  return false;
}

bool OutputFile::open(const std::string& path) {
  path_ = path;
  if (path.empty()) return fail("an output needs a file name (- for stdout)");
  if (path == "-") {
    fd_ = STDOUT_FILENO;
    target_ = path;
    return true;
  }
  std::string why;
  bool magic = false;
  if (!follow_links(path, target_, magic, why)) return fail(why);
  struct stat st {};
  bool exists = ::stat(magic ? path.c_str() : target_.c_str(), &st) == 0;
  if (exists && S_ISDIR(st.st_mode)) return fail("is a directory");
  if (exists && (magic || !S_ISREG(st.st_mode))) {
    // In place; through /proc appending, so that `-o /dev/stdout >> log` appends as `>>` asks.
    fd_ = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | (magic ? O_APPEND : 0));
    if (fd_ < 0) return fail(std::strerror(errno));
    target_ = path;
    owned_ = true;
    return true;
  }
  // Replacing a file needs only the directory's permission; refuse, as `>` would, a file the
  // user may not write.
  if (exists && ::access(target_.c_str(), W_OK) != 0) return fail(std::strerror(errno));
  std::string dir = directory_of(target_);
  std::string::size_type slash = target_.rfind('/');
  std::string base = slash == std::string::npos ? target_ : target_.substr(slash + 1);
  std::string temp = (dir == "/" ? "/" : dir + "/") + "." + base + ".tmp-" +
                     std::to_string(::getpid()) + "-XXXXXX";
  // Signals wait while the file is created and listed: a handler that ran in between would not
  // know the file it must remove.
  sigset_t all, before;
  sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, &before);
  fd_ = ::mkostemp(temp.data(), O_CLOEXEC);
  if (fd_ >= 0) temp_slot_ = list_temp(temp);
  ::pthread_sigmask(SIG_SETMASK, &before, nullptr);
  if (fd_ < 0) {
    int e = errno;
    struct stat ds {};
    if (e == ENOENT && ::stat(dir.c_str(), &ds) != 0)
      return fail("directory " + dir + " does not exist");
    return fail("cannot create a file in " + dir + ": " + std::strerror(e));
  }
  owned_ = true;
  temp_ = temp;
  if (exists) {
    // The replacement keeps the replaced file's owner (where allowed) and permission bits.
    if (st.st_uid != ::geteuid() || st.st_gid != ::getegid()) {
      [[maybe_unused]] int ignored = ::fchown(fd_, st.st_uid, st.st_gid);
    }
    ::fchmod(fd_, st.st_mode & 07777);
  } else {
    // mkstemp creates 0600; results are ordinary files, so follow the umask like any other.
    mode_t mask = ::umask(0);
    ::umask(mask);
    ::fchmod(fd_, 0666 & ~mask);
  }
  return true;
}

bool OutputFile::write(std::string_view data) {
  if (fd_ < 0) return false;
  while (!data.empty()) {
    ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(std::strerror(errno));
      abort();
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool OutputFile::commit() {
  if (fd_ < 0) return false;
  if (fd_ == STDOUT_FILENO && !owned_) {
    fd_ = -1;
    return true;
  }
  if (temp_.empty()) {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc == 0 || errno == EINTR || fail(std::strerror(errno));
  }
  if (::fsync(fd_) != 0 || ::close(fd_) != 0) {
    fail(std::strerror(errno));
    fd_ = -1;
    abort();
    return false;
  }
  fd_ = -1;
  if (::rename(temp_.c_str(), target_.c_str()) != 0) {
    fail(std::strerror(errno));
    abort();
    return false;
  }
  unlist_temp(temp_slot_);
  temp_slot_ = -1;
  temp_.clear();
  // The rename itself is durable once the directory is synced (best effort: some file systems
  // do not sync directories).
  int dir = ::open(directory_of(target_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return true;
}

void OutputFile::abort() {
  if (fd_ >= 0 && owned_) ::close(fd_);
  fd_ = -1;
  if (!temp_.empty()) {
    ::unlink(temp_.c_str());  // then unlisted: a signal in between unlinks nothing more
    unlist_temp(temp_slot_);
    temp_slot_ = -1;
    temp_.clear();
  }
}

}  // namespace mmi

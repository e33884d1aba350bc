#include "engine/output_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace mmi {

OutputFile::~OutputFile() {
  abort();
}

bool OutputFile::open(const std::string& path) {
  path_ = path;
  if (path.empty() || path == "-") {
    fd_ = STDOUT_FILENO;
    return true;
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    if (S_ISDIR(st.st_mode)) {
      error_ = path + ": is a directory";
      return false;
    }
    fd_ = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd_ < 0) {
      error_ = path + ": " + std::strerror(errno);
      return false;
    }
    owned_ = true;
    return true;
  }
  std::string dir = ".";
  std::string::size_type slash = path.rfind('/');
  if (slash != std::string::npos) dir = slash == 0 ? "/" : path.substr(0, slash);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string temp = (dir == "/" ? "/" : dir + "/") + "." + base + ".tmp-XXXXXX";
  fd_ = ::mkostemp(temp.data(), O_CLOEXEC);
  if (fd_ < 0) {
    int e = errno;
    struct stat ds {};
    if (e == ENOENT && ::stat(dir.c_str(), &ds) != 0)
      error_ = path + ": directory " + dir + " does not exist";
    else
      error_ = path + ": cannot create a file in " + dir + ": " + std::strerror(e);
    return false;
  }
  owned_ = true;
  temp_ = temp;
  // mkstemp creates 0600; results are ordinary files, so follow the umask like any other.
  mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd_, 0666 & ~mask);
  return true;
}

bool OutputFile::write(std::string_view data) {
  if (fd_ < 0) return false;
  while (!data.empty()) {
    ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      error_ = (path_.empty() || path_ == "-" ? std::string("stdout") : path_) + ": " +
               std::strerror(errno);
      abort();
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool OutputFile::commit() {
  if (fd_ < 0) return false;
  if (temp_.empty()) {
    if (owned_) ::close(fd_);
    fd_ = -1;
    return true;
  }
  if (::fsync(fd_) != 0 || ::close(fd_) != 0) {
    error_ = path_ + ": " + std::strerror(errno);
    fd_ = -1;
    abort();
    return false;
  }
  fd_ = -1;
  if (::rename(temp_.c_str(), path_.c_str()) != 0) {
    error_ = path_ + ": " + std::strerror(errno);
    abort();
    return false;
  }
  temp_.clear();
  return true;
}

void OutputFile::abort() {
  if (fd_ >= 0 && owned_) ::close(fd_);
  fd_ = -1;
  if (!temp_.empty()) {
    ::unlink(temp_.c_str());
    temp_.clear();
  }
}

}  // namespace mmi

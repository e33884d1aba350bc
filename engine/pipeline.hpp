// Batch stage 2: reader → workers → ordered delivery over a CaseStream.
//
// Workers take turns reading the next chunk (a read and a newline scan are short next to
// evaluating a chunk), process it in parallel, and whichever worker finishes the chunk that is
// next in input order delivers the finished chunks, one thread at a time, in input order. At most
// 2 × threads + 1 chunks exist at once, so memory is bounded whatever the input size; a slow
// chunk holds the others back instead of letting finished ones pile up.
//
// Every thread is created before any of them reads: when the system refuses one (a process or
// memory limit), the ones started are stopped and joined and nothing was read or delivered.
#pragma once

#include <condition_variable>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "engine/case_stream.hpp"

namespace mmi {

// Slot: a struct with a `CaseChunk chunk` member plus whatever a worker produces for it.
// make_worker(index) returns a callable `void(Slot&)` owned by that thread (its parser,
// evaluator, buffers); deliver(Slot&) returns false to stop early (a write failed).
// Runs the calling thread as one of the workers; rethrows the first exception a worker threw.
// Returns "" or, when the threads could not all be created, why (then nothing was read).
template <class Slot, class MakeWorker, class Deliver>
std::string run_ordered(CaseStream& stream, unsigned threads, MakeWorker&& make_worker,
                        Deliver&& deliver) {
  if (threads == 0) threads = 1;
  std::vector<std::unique_ptr<Slot>> storage;
  std::vector<Slot*> free_slots;
  for (unsigned k = 0; k < 2 * threads + 1; ++k) {
    storage.push_back(std::make_unique<Slot>());
    free_slots.push_back(storage.back().get());
  }
  std::mutex pool_mu, read_mu, out_mu;
  std::condition_variable pool_cv;
  bool stop = false;  // guarded by pool_mu
  bool go = false;    // guarded by pool_mu: every thread exists
  bool end = false;   // guarded by read_mu
  std::uint64_t next_sequence = 0;
  std::map<std::uint64_t, Slot*> done;  // guarded by out_mu
  std::uint64_t next_out = 0;
  bool delivering = false;
  std::exception_ptr failure;

  auto release = [&](Slot* s) {
    std::lock_guard lk(pool_mu);
    free_slots.push_back(s);
    pool_cv.notify_one();
  };
  auto halt = [&] {
    std::lock_guard lk(pool_mu);
    stop = true;
    pool_cv.notify_all();
  };
  auto stopped = [&] {
    std::lock_guard lk(pool_mu);
    return stop;
  };

  auto run = [&](unsigned index) {
    {
      std::unique_lock lk(pool_mu);
      pool_cv.wait(lk, [&] { return go || stop; });
      if (stop) return;
    }
    try {
      auto worker = make_worker(index);
      for (;;) {
        Slot* s;
        {
          std::unique_lock lk(pool_mu);
          pool_cv.wait(lk, [&] { return !free_slots.empty() || stop; });
          if (stop) return;
          s = free_slots.back();
          free_slots.pop_back();
        }
        bool got = false;
        {
          std::lock_guard lk(read_mu);
          if (!end) {
            got = stream.next(s->chunk);
            if (got)
              s->chunk.sequence = next_sequence++;
            else
              end = true;
          }
        }
        if (!got) {
          release(s);
          return;
        }
        worker(*s);
        std::unique_lock lk(out_mu);
        done.emplace(s->chunk.sequence, s);
        if (delivering) continue;
        delivering = true;
        while (!done.empty() && done.begin()->first == next_out) {
          Slot* d = done.begin()->second;
          done.erase(done.begin());
          lk.unlock();
          bool ok = !stopped() && deliver(*d);
          release(d);
          if (!ok) halt();
          lk.lock();
          ++next_out;
        }
        delivering = false;
      }
    } catch (...) {
      {
        std::lock_guard lk(out_mu);
        if (!failure) failure = std::current_exception();
      }
      halt();
    }
  };

  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  std::string start_error;
  try {
    for (unsigned k = 1; k < threads; ++k) pool.emplace_back(run, k);
  } catch (const std::system_error& e) {
    start_error = "cannot start " + std::to_string(threads) +
                  " threads: the system refused thread " + std::to_string(pool.size() + 2) + " (" +
                  e.code().message() + ")";
  }
  if (start_error.empty()) {
    std::lock_guard lk(pool_mu);
    go = true;
    pool_cv.notify_all();
  } else {
    halt();
  }
  if (start_error.empty()) run(0);
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
  return start_error;
}

}  // namespace mmi

#pragma once
// Turns at a shared resource, first come first served: at most `slots` holders at once, and a
// caller that wants another turn queues behind those already waiting. Cameras that share a machine
// take turns for the engine this way, so that each gets its share of the CPU (round robin) however
// many there are.
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace la3d {

class FairTurns {
 public:
  explicit FairTurns(int slots) : slots_(slots < 1 ? 1 : slots) {}

  // Held for its lifetime.
  class Turn {
   public:
    Turn() = default;
    explicit Turn(FairTurns* owner) : owner_(owner) {}
    Turn(Turn&& o) noexcept : owner_(o.owner_) { o.owner_ = nullptr; }
    Turn& operator=(Turn&&) = delete;
    ~Turn() { done(); }
    // Gives the turn back before the end of its scope.
    void done() {
      if (owner_) owner_->release();
      owner_ = nullptr;
    }

   private:
    FairTurns* owner_ = nullptr;
  };

  Turn take() {
    std::unique_lock lock(m_);
    const uint64_t ticket = next_++;
    cv_.wait(lock, [&] { return ticket < released_ + uint64_t(slots_); });
    return Turn(this);
  }

 private:
  void release() {
    {
      std::lock_guard lock(m_);
      ++released_;
    }
    cv_.notify_all();
  }
  std::mutex m_;
  std::condition_variable cv_;
  int slots_;
  uint64_t next_ = 0, released_ = 0;
};

}  // namespace la3d

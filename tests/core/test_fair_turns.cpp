// FairTurns: at most `slots` holders, and waiting callers served in arrival order, so that
// callers that always want another turn take them round robin.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "la3d/core/fair_turns.hpp"

namespace la3d {
namespace {

TEST(FairTurns, ContendingCallersTakeTurnsRoundRobin) {
  FairTurns turns(1);
  std::mutex m;
  std::vector<int> order;
  std::atomic<int> inside{0}, most{0};
  std::vector<std::thread> threads;
  for (int id = 0; id < 3; ++id)
    threads.emplace_back([&, id] {
      for (int k = 0; k < 40; ++k) {
        FairTurns::Turn t = turns.take();
        const int now = ++inside;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        {
          std::lock_guard lock(m);
          order.push_back(id);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        --inside;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(most.load(), 1);
  ASSERT_EQ(order.size(), 120u);
  // While all three want turns (the middle of the run), no one gets two in a row: a caller that
  // comes back queues behind those already waiting.
  int repeats = 0;
  for (size_t i = 20; i + 20 < order.size(); ++i) repeats += order[i] == order[i - 1];
  EXPECT_EQ(repeats, 0);
}

TEST(FairTurns, SeveralSlotsHoldAtMostThatMany) {
  FairTurns turns(2);
  std::atomic<int> inside{0}, most{0};
  std::vector<std::thread> threads;
  for (int id = 0; id < 5; ++id)
    threads.emplace_back([&] {
      for (int k = 0; k < 20; ++k) {
        FairTurns::Turn t = turns.take();
        const int now = ++inside;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::sleep_for(std::chrono::microseconds(300));
        --inside;
        t.done();
        t.done();  // twice is once
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(most.load(), 2);
}

}  // namespace
}  // namespace la3d

#pragma once
// How la3d measures itself: stage times on the steady clock, their summaries, peak memory.
#include <chrono>
#include <vector>

namespace la3d {

// Median, 95th percentile (nearest rank) and mean of a series of samples.
struct Summary {
  double median = 0, p95 = 0, mean = 0;
};
Summary summarize(std::vector<double> samples);
// Milliseconds since `t0` on the steady clock: how every stage time is taken.
double ms_since(std::chrono::steady_clock::time_point t0);
// Peak resident memory of this process, in MiB.
double peak_rss_mib();

}  // namespace la3d

// LiveSegments against anomalous_segments() over the same scores: the live form must find the
// segments the whole-video form finds.
#include <gtest/gtest.h>

#include <random>

#include "la3d/vad/live_segments.hpp"

namespace la3d {
namespace {

TEST(LiveSegments, OpenAndCloseWhereTheWholeVideoRuleFindsSegments) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(0, 1);
  for (int trial = 0; trial < 50; ++trial) {
    const double threshold = 0.6, fps = 25;
    std::vector<float> per_frame;
    LiveSegments live;
    std::vector<Segment> found;
    const int snippets = 1 + int(rng() % 20);
    for (int k = 0; k < snippets; ++k) {
      SnippetScore s{k, 16LL * k, 16LL * k + 15, u(rng), false};
      s.alert = s.score >= threshold;
      per_frame.insert(per_frame.end(), 16, s.score);
      if (auto c = live.add(s, fps); c && c->kind == SegmentChange::Kind::End)
        found.push_back(c->segment);
    }
    if (auto c = live.finish(fps)) found.push_back(c->segment);
    const auto expected = anomalous_segments(per_frame, threshold, fps);
    ASSERT_EQ(found.size(), expected.size()) << "trial " << trial;
    for (size_t i = 0; i < found.size(); ++i) {
      EXPECT_EQ(found[i].start_frame, expected[i].start_frame);
      EXPECT_EQ(found[i].end_frame, expected[i].end_frame);
      EXPECT_DOUBLE_EQ(found[i].start_s, expected[i].start_s);
      EXPECT_DOUBLE_EQ(found[i].end_s, expected[i].end_s);
      EXPECT_FLOAT_EQ(found[i].peak, expected[i].peak);
    }
  }
}

}  // namespace
}  // namespace la3d

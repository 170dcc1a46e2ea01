#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "la3d/anonymize/anonymizer.hpp"
#include "la3d/detect/detections_file.hpp"
#include "la3d/anonymize/instances.hpp"
#include "test_util.hpp"

namespace la3d {
namespace {

TEST(Rle, ColumnMajorStartingWithZeros) {
  // 3 rows x 2 cols; column-major order reads (0,0),(1,0),(2,0),(0,1),(1,1),(2,1).
  cv::Mat1b m = (cv::Mat1b(3, 2) << 0, 255,  //
                 255, 255,                   //
                 255, 0);
  // sequence: 0,1,1,1,1,0 -> runs: 1 zero, 4 ones, 1 zero
  EXPECT_EQ(rle_encode(m), (std::vector<uint32_t>{1, 4, 1}));
  cv::Mat1b starts_with_one = (cv::Mat1b(1, 2) << 255, 0);
  EXPECT_EQ(rle_encode(starts_with_one), (std::vector<uint32_t>{0, 1, 1}));
  auto back = rle_decode({1, 4, 1}, {2, 3});
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(cv::norm(back.value(), m, cv::NORM_INF), 0);
}

TEST(Rle, RandomMasksRoundTrip) {
  cv::RNG rng(7);
  for (int k = 0; k < 20; ++k) {
    cv::Mat1b m(rng.uniform(1, 40), rng.uniform(1, 40));
    rng.fill(m, cv::RNG::UNIFORM, 0, 2);
    m *= 255;
    auto back = rle_decode(rle_encode(m), m.size());
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(cv::norm(back.value(), m, cv::NORM_INF), 0);
  }
}

TEST(Rle, WrongTotalIsAnError) {
  auto r = rle_decode({1, 2}, {2, 2});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("4 pixels"), std::string::npos);
}

TEST(DetectionsLine, BoxCornersAreInclusive) {
  auto r = parse_detections_line(
      R"({"frame": 3, "width": 64, "height": 48, "objects": [{"class": "person", "score": 0.5, "box": [10, 5, 19, 14]}]})",
      1);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->frame, 3);
  ASSERT_EQ(r->objects.size(), 1u);
  EXPECT_EQ(r->objects[0].box, cv::Rect(10, 5, 10, 10));
  EXPECT_EQ(r->objects[0].coco_id, 1);
  EXPECT_FLOAT_EQ(r->objects[0].score, 0.5f);
  EXPECT_TRUE(r->objects[0].mask.empty());
}

TEST(DetectionsLine, PolygonsBecomeAMask) {
  auto r = parse_detections_line(
      R"({"frame": 0, "width": 50, "height": 40, "objects": [{"class": "person", "polygons": [[10, 10, 30, 10, 30, 20, 10, 20]]}]})",
      1);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const Detection& d = r->objects[0];
  EXPECT_EQ(d.box, cv::Rect(10, 10, 21, 11));  // fillPoly includes the polygon's edges
  EXPECT_EQ(cv::countNonZero(d.mask), 21 * 11);
}

TEST(DetectionsLine, FormatThenParseKeepsBoxesAndMasks) {
  FrameDetections rec;
  rec.frame = 12;
  rec.size = {40, 30};
  rec.objects.push_back({"person", 1, 0.75f, {3, 4, 10, 12}, {}});
  cv::Mat1b m(6, 8, uchar(0));
  cv::circle(m, {4, 3}, 2, 255, cv::FILLED);
  rec.objects.push_back({"cell phone", 77, 0.5f, {20, 10, 8, 6}, m});
  const std::string line = format_detections_line(rec);
  const auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["objects"][0]["box"], nlohmann::json({3, 4, 12, 15}));
  EXPECT_EQ(j["objects"][1]["mask"]["size"], nlohmann::json({30, 40}));
  auto back = parse_detections_line(line, 1);
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back->objects.size(), 2u);
  EXPECT_EQ(back->objects[0].box, rec.objects[0].box);
  EXPECT_EQ(back->objects[1].label, "cell phone");
  // The mask comes back with its tight box, the same pixels in the frame.
  cv::Mat1b a(rec.size, uchar(0)), b(rec.size, uchar(0));
  m.copyTo(a(rec.objects[1].box));
  back->objects[1].mask.copyTo(b(back->objects[1].box));
  EXPECT_EQ(cv::norm(a, b, cv::NORM_INF), 0);
}

TEST(DetectionsLine, MalformedLinesNameTheProblem) {
  const std::pair<const char*, const char*> bad[] = {
      {"{not json", "not valid JSON"},
      {R"({"width": 4, "height": 4, "objects": []})", "\"frame\""},
      {R"({"frame": 0, "width": 4, "height": 4})", "objects"},
      {R"({"frame": 0, "width": 4, "height": 4, "objects": [{"class": "dragon", "box": [0,0,1,1]}]})",
       "unknown class"},
      {R"({"frame": 0, "width": 4, "height": 4, "objects": [{"class": "person", "box": [3,0,1,1]}]})",
       "x2 < x1"},
      {R"({"frame": 0, "width": 4, "height": 4, "objects": [{"class": "person"}]})", "none of"},
      {R"({"frame": 0, "width": 4, "height": 4, "objects": [{"class": "person", "mask": {"size": [4, 4], "counts": [3]}}]})",
       "RLE"},
      {R"({"frame": 0, "width": 4, "height": 4, "objects": [{"class": "person", "mask": {"size": [5, 4], "counts": [20]}}]})",
       "mask size"},
      {R"({"frame": 0, "width": 4, "height": 4, "objects": [{"class": "person", "polygons": [[1, 2, 3]]}]})",
       "polygon"},
  };
  for (const auto& [line, what] : bad) {
    auto r = parse_detections_line(line, 7);
    ASSERT_FALSE(r.ok()) << line;
    EXPECT_NE(r.error().message.find("line 7"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find(what), std::string::npos) << r.error().message;
  }
}

// The line's objects as instances, masked black onto a white frame: what a run would write.
cv::Mat masked_by(const std::string& line) {
  auto r = parse_detections_line(line, 1);
  EXPECT_TRUE(r.ok()) << r.error().message;
  if (!r) return {};
  cv::Mat frame(r->size, CV_8UC3, cv::Scalar::all(255));
  AnParams p;
  p.method = Method::Mask;
  EXPECT_TRUE(Anonymizer(p).apply(frame, make_instances(r->objects, frame.size(), {})).ok());
  return frame;
}
int unchanged_pixels(const cv::Mat& frame) {
  cv::Mat gray;
  cv::cvtColor(frame, gray, cv::COLOR_BGR2GRAY);
  return cv::countNonZero(gray);
}

// Boxes and polygons that reach (far) outside the frame hide what they cover of it: each of these
// used to overflow a double -> int conversion and hide nothing.
TEST(DetectionsLine, HugeCoordinatesAreClippedAndStillHide) {
  const std::string head =
      R"({"frame": 0, "width": 64, "height": 48, "objects": [{"class": "person", )";
  for (const std::string obj :
       {R"("box": [0, 0, 1e10, 1e10]})", R"("box": [-10, 0, 2147483647, 47]})",
        R"("box": [-1e300, -1e300, 1e300, 1e300]})",
        R"("polygons": [[0, 0, 1e300, 0, 1e300, 1e300, 0, 1e300]]})",
        R"("polygons": [[-1e300, -1e300, 1e300, -1e300, 0, 1e300]]})"}) {
    const cv::Mat out = masked_by(head + obj + "]}");
    ASSERT_FALSE(out.empty()) << obj;
    EXPECT_EQ(unchanged_pixels(out), 0) << obj;
  }
  // Half outside: exactly the inside half is hidden.
  const cv::Mat half = masked_by(head + R"("box": [32, -5e9, 9e9, 5e9]})" + "]}");
  EXPECT_EQ(unchanged_pixels(half), 32 * 48);
  EXPECT_EQ(unchanged_pixels(half(cv::Rect(32, 0, 32, 48))), 0);
  // Wholly outside the frame: covers nothing, and is no error.
  EXPECT_EQ(unchanged_pixels(masked_by(head + R"("box": [100, 100, 1e12, 1e12]})" + "]}")),
            64 * 48);
}

TEST(DetectionsLine, SizesThatWouldWrapAreRefused) {
  const std::pair<std::string, const char*> bad[] = {
      // 2^32 + 768 wraps to 768 as a 32-bit int.
      {R"({"frame": 0, "width": 4294968064, "height": 576, "objects": []})", "width and height"},
      {R"({"frame": 0, "width": 768, "height": -576, "objects": []})", "width and height"},
      {R"({"frame": 18446744073709551615, "width": 4, "height": 4, "objects": []})", "\"frame\""},
      // A count of 2^32 wraps to 0 as uint32: the sum would then still match.
      {R"({"frame": 0, "width": 4, "height": 4, "objects": [{"class": "person", "mask": {"size": [4, 4], "counts": [16, 4294967296]}}]})",
       "counts"},
      {R"({"frame": 0, "width": 4, "height": 4, "objects": [{"class": "person", "mask": {"size": [4294967300, 4], "counts": [16]}}]})",
       "size"},
      {R"({"frame": 0, "width": 4, "height": 4, "objects": [{"class": "person", "box": [0, 0, "3", 3]}]})",
       "box"},
  };
  for (const auto& [line, what] : bad) {
    auto r = parse_detections_line(line, 3);
    ASSERT_FALSE(r.ok()) << line;
    EXPECT_NE(r.error().message.find("line 3"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find(what), std::string::npos) << r.error().message;
  }
}

TEST(DetectionsFile, ReplaysByFrameAndFiltersClasses) {
  test::TempDir dir;
  const auto path = dir / "d.jsonl";
  std::ofstream(path)
      << R"({"frame": 0, "width": 20, "height": 10, "objects": [{"class": "person", "box": [1, 1, 4, 4]}, {"class": "laptop", "box": [5, 5, 6, 6]}, {"class": "person", "score": 0.4, "box": [7, 7, 8, 8]}]})"
      << "\n\n"
      << R"({"frame": 2, "width": 20, "height": 10, "objects": [{"class": "person", "box": [0, 0, 19, 9]}]})"
      << "\n";
  DetectOptions keep_people;
  keep_people.threshold = 0.5f;
  auto det = open_detections_file(path, keep_people);
  ASSERT_TRUE(det.ok()) << det.error().message;
  const cv::Mat frame(10, 20, CV_8UC3, cv::Scalar::all(0));
  auto f0 = det.value()->detect(frame, 0);
  ASSERT_TRUE(f0.ok());
  ASSERT_EQ(f0->size(), 1u);
  EXPECT_EQ(f0->at(0).label, "person");
  EXPECT_TRUE(det.value()->detect(frame, 1)->empty());
  EXPECT_EQ(det.value()->detect(frame, 2)->at(0).box, cv::Rect(0, 0, 20, 10));
  // A frame of another size is refused, naming the line.
  auto wrong = det.value()->detect(cv::Mat(11, 20, CV_8UC3), 2);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("line 3"), std::string::npos);
}

TEST(DetectionsFile, MalformedLineFailsAtOpenWithItsNumber) {
  test::TempDir dir;
  const auto path = dir / "d.jsonl";
  std::ofstream(path)
      << R"({"frame": 0, "width": 20, "height": 10, "objects": []})"
      << "\n"
      << R"({"frame": 1, "width": 20, "height": 10, "objects": [{"class": "person", "box": [1, 1]}]})"
      << "\n";
  auto det = open_detections_file(path, DetectOptions{});
  ASSERT_FALSE(det.ok());
  EXPECT_NE(det.error().message.find("line 2"), std::string::npos) << det.error().message;
  std::ofstream(path) << R"({"frame": 0, "width": 20, "height": 10, "objects": []})"
                      << "\n"
                      << R"({"frame": 0, "width": 20, "height": 10, "objects": []})"
                      << "\n";
  auto dup = open_detections_file(path, DetectOptions{});
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.error().message.find("appears twice"), std::string::npos);
}

TEST(DetectionsFile, WriterLeavesNothingUntilFinished) {
  test::TempDir dir;
  const auto path = dir / "out.jsonl";
  {
    auto w = DetectionsWriter::open(path);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE(w.value()->write({0, {4, 4}, {}}).ok());
  }  // dropped without finish(): as if the run failed
  EXPECT_TRUE(test::files_below(dir.path()).empty());
  auto w = DetectionsWriter::open(path);
  ASSERT_TRUE(w.value()->write({0, {4, 4}, {}}).ok());
  ASSERT_TRUE(w.value()->finish().ok());
  EXPECT_EQ(test::files_below(dir.path()), std::vector<std::string>{"out.jsonl"});
}

}  // namespace
}  // namespace la3d

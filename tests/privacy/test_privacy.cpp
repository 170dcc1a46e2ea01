// la3d privacy: the evaluator's bookkeeping against hand counts (stub attackers on drawn images),
// SSIM/PSNR against their formulas, and the command on a real photo with the real attackers.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "la3d/io/io.hpp"
#include "la3d/models/models.hpp"
#include "la3d/privacy/privacy.hpp"
#include "test_util.hpp"

namespace la3d {
namespace {

using json = nlohmann::json;

// Finds `box` (in frame coordinates) when the pixel at its centre is not black; knows where the
// drawn thing is, like an attacker told where to look.
class CentreFinder final : public Detector {
 public:
  CentreFinder(std::vector<cv::Rect> boxes, int coco_id) : boxes_(std::move(boxes)), id_(coco_id) {}
  std::string name() const override { return "stub"; }
  Result<std::vector<Detection>> detect(const cv::Mat& frame, long long) override {
    // Crops are searched too (faces inside person boxes): only a box wholly inside counts, at
    // the crop's coordinates. A crop is recognised by its size differing from the frame.
    std::vector<Detection> out;
    for (const cv::Rect& b : boxes_) {
      if (frame.size() != kFrame) continue;  // crops: the whole-frame search already found it
      const cv::Point c = (b.tl() + b.br()) / 2;
      if (frame.at<cv::Vec3b>(c) != cv::Vec3b(0, 0, 0)) out.push_back({"x", id_, 0.9f, b, {}});
    }
    return out;
  }
  static inline const cv::Size kFrame{200, 200};

 private:
  std::vector<cv::Rect> boxes_;
  int id_;
};

// Describes a face by its mean colour and a constant: identical crops, identical descriptors.
class MeanColourDescriber final : public FaceDescriber {
 public:
  Result<FaceDescription> describe(const cv::Mat& crop) override {
    // The crop is the face box grown by 40 %: its central half is face only.
    const cv::Scalar m =
        cv::mean(crop(cv::Rect(crop.cols / 4, crop.rows / 4, crop.cols / 2, crop.rows / 2)));
    FaceDescription d;
    d.descriptor = {float(m[0]), float(m[1]), float(m[2]), 1.f};
    d.male = m[2] > 100 ? 0.9f : 0.1f;  // "male" when red is strong
    d.age = float(m[1] / 10);
    return d;
  }
};

const cv::Rect kPerson(40, 40, 80, 140), kFace(60, 50, 40, 40);

// Image k: a person box of one colour with a face of another on black.
cv::Mat drawn(const cv::Scalar& body, const cv::Scalar& face) {
  cv::Mat img(CentreFinder::kFrame, CV_8UC3, cv::Scalar::all(0));
  img(kPerson).setTo(body);
  img(kFace).setTo(face);
  return img;
}

PrivacyAttackers stub_attackers() {
  PrivacyAttackers a;
  a.face_finder = std::make_unique<CentreFinder>(std::vector<cv::Rect>{kFace}, -1);
  a.person_finder = std::make_unique<CentreFinder>(std::vector<cv::Rect>{kPerson}, 1);
  a.face_describer = std::make_unique<MeanColourDescriber>();
  return a;
}

TEST(PrivacyEvaluator, MetricsMatchHandCountsOnDrawnPeople) {
  PrivacyEvaluator eval(stub_attackers());
  // Three people; faces of brightness 60, 120, 200 (the darkest is nearest to an all-black face
  // by cosine: [0,0,0,1] against [f,f,f,1] is 1/sqrt(3f^2+1), largest for the smallest f).
  const std::vector<cv::Mat> originals = {drawn({255, 0, 0}, cv::Scalar::all(60)),
                                          drawn({0, 255, 0}, cv::Scalar::all(120)),
                                          drawn({0, 0, 255}, cv::Scalar::all(200))};
  cv::Mat1b hidden(CentreFinder::kFrame, uchar(0));
  hidden(kPerson).setTo(255);
  for (int k = 0; k < 3; ++k) {
    const std::string key = "img" + std::to_string(k);
    ASSERT_TRUE(eval.add_original(key, originals[k]).ok());
    ASSERT_TRUE(eval.add_anonymized(key, "no-an", originals[k], originals[k], hidden).ok());
    cv::Mat masked = originals[k].clone();
    masked(kPerson).setTo(cv::Scalar::all(0));
    ASSERT_TRUE(eval.add_anonymized(key, "mask", originals[k], masked, hidden).ok());
  }
  const PrivacyReport r = eval.report();
  EXPECT_EQ(r.inputs, 3);
  EXPECT_EQ(r.faces, 3);
  EXPECT_EQ(r.persons, 3);
  EXPECT_DOUBLE_EQ(*r.chance.at("face_rank1"), 1.0 / 3);
  EXPECT_DOUBLE_EQ(*r.chance.at("reid_rank1_colour"), 1.0 / 3);
  // Impostor pairs: descriptors [f,f,f,1] differ by |f1 - f2| sqrt(3) >= 60 sqrt(3): similarity 0.
  EXPECT_DOUBLE_EQ(*r.chance.at("face_verification"), 0.0);
  ASSERT_EQ(r.methods.size(), 2u);
  const auto& none = r.methods[0].second;
  EXPECT_EQ(r.methods[0].first, "no-an");
  EXPECT_DOUBLE_EQ(*none.at("face_redetection"), 1.0);
  EXPECT_DOUBLE_EQ(*none.at("person_redetection"), 1.0);
  EXPECT_NEAR(*none.at("face_similarity"), 1.0, 1e-9);
  EXPECT_DOUBLE_EQ(*none.at("face_rank1"), 1.0);
  EXPECT_DOUBLE_EQ(*none.at("face_verification"), 1.0);
  EXPECT_DOUBLE_EQ(*none.at("gender_agreement"), 1.0);
  EXPECT_DOUBLE_EQ(*none.at("age_mae"), 0.0);
  EXPECT_DOUBLE_EQ(*none.at("reid_rank1_colour"), 1.0);
  EXPECT_NEAR(*none.at("ssim"), 1.0, 1e-5);
  EXPECT_DOUBLE_EQ(*none.at("psnr"), 100.0);
  EXPECT_FALSE(none.at("reid_rank1").has_value());  // no ReID model given
  const auto& mask = r.methods[1].second;
  EXPECT_DOUBLE_EQ(*mask.at("face_redetection"), 0.0);
  EXPECT_DOUBLE_EQ(*mask.at("person_redetection"), 0.0);
  // All three masked faces look alike; each is "identified" as the darkest original: one of 3.
  EXPECT_DOUBLE_EQ(*mask.at("face_rank1"), 1.0 / 3);
  // Hand count: cosine of [0,0,0,1] with [f,f,f,1] = 1/sqrt(3f^2+1), averaged.
  double cos = 0;
  for (double f : {60.0, 120.0, 200.0}) cos += 1 / std::sqrt(3 * f * f + 1) / 3;
  EXPECT_NEAR(*mask.at("face_similarity"), cos, 1e-9);
  // Masked faces have no red: all "female"; of the originals only the first (60) was.
  EXPECT_DOUBLE_EQ(*mask.at("gender_agreement"), 1.0 / 3);
  EXPECT_NEAR(*mask.at("age_mae"), (6.0 + 12.0 + 20.0) / 3, 1e-5);
  // Identical black bodies: every probe is equally near all three; the first in the gallery wins.
  EXPECT_DOUBLE_EQ(*mask.at("reid_rank1_colour"), 1.0 / 3);
  EXPECT_LT(*mask.at("psnr"), 20.0);
  const json j = r.to_json();
  EXPECT_TRUE(j["methods"]["mask"]["reid_rank1"].is_null());
  EXPECT_EQ(j["chance"].size(), 6u);  // face rank-1, verification, gender, age, two ReID
  EXPECT_DOUBLE_EQ(j["chance"]["face_verification"].get<double>(), 0.0);
  EXPECT_FALSE(j["notes"].empty());
}

// Frames of a video: each person is looked for in the video's other frames. Two people (red
// left, green right) in two frames; masked bodies all look alike, so each probe finds the first
// candidate of the other frame: right for the red person, wrong for the green one.
TEST(PrivacyEvaluator, VideoPeopleAreReidentifiedInOtherFrames) {
  const cv::Rect left(10, 40, 80, 140), right(110, 40, 80, 140);
  PrivacyAttackers a;
  a.face_finder = std::make_unique<CentreFinder>(std::vector<cv::Rect>{}, -1);
  a.person_finder = std::make_unique<CentreFinder>(std::vector<cv::Rect>{left, right}, 1);
  PrivacyEvaluator eval(std::move(a));
  cv::Mat frame(CentreFinder::kFrame, CV_8UC3, cv::Scalar::all(0));
  frame(left).setTo(cv::Scalar(0, 0, 255));
  frame(right).setTo(cv::Scalar(0, 255, 0));
  cv::Mat masked = frame.clone();
  masked(left).setTo(cv::Scalar::all(0));
  masked(right).setTo(cv::Scalar::all(0));
  cv::Mat1b hidden(frame.size(), uchar(0));
  hidden(left).setTo(255);
  hidden(right).setTo(255);
  for (const char* key : {"v.mp4#0", "v.mp4#25"}) {
    ASSERT_TRUE(eval.add_original(key, frame, nullptr, "v.mp4").ok());
    ASSERT_TRUE(eval.add_anonymized(key, "no-an", frame, frame, hidden).ok());
    ASSERT_TRUE(eval.add_anonymized(key, "mask", frame, masked, hidden).ok());
  }
  const PrivacyReport r = eval.report();
  EXPECT_DOUBLE_EQ(*r.methods[0].second.at("reid_rank1_colour"), 1.0);
  EXPECT_DOUBLE_EQ(*r.methods[1].second.at("reid_rank1_colour"), 0.5);
  EXPECT_FALSE(r.methods[0].second.at("face_rank1").has_value());  // no face, no describer
}

TEST(PrivacyEvaluator, RefusesAnonymizedWithoutOriginal) {
  PrivacyEvaluator eval(stub_attackers());
  const cv::Mat img = drawn({255, 0, 0}, cv::Scalar::all(60));
  const cv::Mat1b hidden(img.size(), uchar(255));
  EXPECT_FALSE(eval.add_anonymized("nope", "mask", img, img, hidden).ok());
  ASSERT_TRUE(eval.add_original("a", img).ok());
  EXPECT_FALSE(eval.add_original("a", img).ok());
}

TEST(MaskedSimilarity, FollowsTheFormulas) {
  const cv::Mat a = test::textured_frame({64, 48});
  cv::Mat1b mask(a.size(), uchar(0));
  EXPECT_FALSE(masked_similarity(a, a, mask).value().has_value());  // nothing masked
  mask(cv::Rect(8, 8, 32, 24)).setTo(255);
  auto same = masked_similarity(a, a, mask).value();
  ASSERT_TRUE(same.has_value());
  EXPECT_NEAR(same->ssim, 1.0, 1e-6);
  EXPECT_DOUBLE_EQ(same->psnr, 100.0);
  // Every channel off by 10 inside the mask: MSE 100, PSNR 10 log10(255^2 / 100).
  cv::Mat b = a.clone();
  for (int y = 0; y < a.rows; ++y)
    for (int x = 0; x < a.cols; ++x)
      for (int c = 0; c < 3; ++c) {
        const int v = a.at<cv::Vec3b>(y, x)[c];
        b.at<cv::Vec3b>(y, x)[c] = uchar(v < 128 ? v + 10 : v - 10);
      }
  auto off = masked_similarity(a, b, mask).value();
  EXPECT_NEAR(off->psnr, 10 * std::log10(255.0 * 255.0 / 100.0), 1e-6);
  EXPECT_LT(off->ssim, 1.0);
  EXPECT_FALSE(masked_similarity(a, cv::Mat(10, 10, CV_8UC3), mask).ok());
}

TEST(ColourHistogram, SamePersonSameEmbeddingOtherColoursDiffer) {
  auto e = make_colour_histogram_embedder();
  const cv::Mat red(256, 128, CV_8UC3, cv::Scalar(0, 0, 255)),
      blue(256, 128, CV_8UC3, cv::Scalar(255, 0, 0));
  const auto r1 = e->embed(red).value(), r2 = e->embed(red).value(), b = e->embed(blue).value();
  EXPECT_NEAR(cosine_similarity(r1, r2), 1.0, 1e-9);
  EXPECT_NEAR(cosine_similarity(r1, b), 0.0, 1e-9);  // disjoint hue bins
  EXPECT_EQ(r1.size(), 6u * 8 * 4 * 4);
}

TEST(FaceSimilarity, IsHumansFormula) {
  const std::vector<float> a(4, 0.f), b = {10.f, 0.f, 0.f, 0.f}, c = {0.f, 12.f, 0.f, 0.f};
  EXPECT_DOUBLE_EQ(face_similarity(a, a), 1.0);
  // 25 * 100 = 2500, root 50: (1 - 0.5 - 0.2) / 0.6
  EXPECT_NEAR(face_similarity(a, b), 0.5, 1e-9);
  // 25 * 144 = 3600, root 60: (1 - 0.6 - 0.2) / 0.6
  EXPECT_NEAR(face_similarity(a, c), 1.0 / 3, 1e-9);
  EXPECT_DOUBLE_EQ(face_similarity(a, {100.f, 0.f, 0.f, 0.f}), 0.0);  // clamped
}

// The command on a real photo with the real attackers (BlazeFace, CenterNet, FaceRes).
TEST(PrivacyCommand, NoAnLeavesEverythingAndAnOpaqueMaskHidesTheFace) {
  const std::string photo = test::kMessi;
  if (const std::string why = test::attackers_missing(); !why.empty()) GTEST_SKIP() << why;
  test::TempDir dir;
  // The engine uses the attacker's person model at a lower threshold: it hides everyone the
  // attacker can find, so an opaque mask leaves nobody to re-detect.
  const auto r =
      test::la3d("privacy " + photo + " --detector centernet --methods no-an,mask,blur -q --json " +
                 test::quote(dir / "p.json"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json j = json::parse(std::ifstream(dir / "p.json"));
  for (const char* k : {"inputs", "faces", "persons", "chance", "methods", "notes"})
    EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_EQ(j["inputs"], 1);
  ASSERT_GE(j["faces"].get<int>(), 1);
  ASSERT_GE(j["persons"].get<int>(), 1);
  std::set<std::string> metrics;
  for (const auto& [k, v] : j["methods"]["mask"].items()) metrics.insert(k);
  EXPECT_EQ(metrics,
            std::set<std::string>(privacy_metric_names().begin(), privacy_metric_names().end()));
  const json& none = j["methods"]["no-an"];
  EXPECT_DOUBLE_EQ(none["face_redetection"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(none["person_redetection"].get<double>(), 1.0);
  EXPECT_NEAR(none["face_similarity"].get<double>(), 1.0, 1e-6);
  EXPECT_DOUBLE_EQ(none["face_rank1"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(j["methods"]["mask"]["face_redetection"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(j["methods"]["mask"]["person_redetection"].get<double>(), 0.0);
  EXPECT_LT(j["methods"]["mask"]["face_similarity"].get<double>(), 0.5);
  EXPECT_NE(r.out.find("no-an"), std::string::npos);  // the table
}

TEST(PrivacyCommand, BadArgumentsFailWithOneLine) {
  auto r = test::la3d("privacy /nonexistent.jpg");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("no such file or folder"), std::string::npos) << r.out;
  r = test::la3d("privacy /usr/share/doc/opencv-doc/examples/data/messi5.jpg --methods frob");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("frob"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace la3d

namespace la3d {
namespace {

// Two of the face-api group photos (3 and 4 people, counted by hand) with the real attackers:
// the face finder gets most of the 7 faces, and an opaque mask over what CenterNet finds leaves
// none of them findable.
TEST(PrivacyCommand, GroupPhotosFacesFoundAndHidden) {
  auto photos = sample_photos(default_cache_dir());
  if (!photos) GTEST_SKIP() << photos.error().message;
  test::TempDir dir;
  const auto r =
      test::la3d("privacy " + test::quote(photos->at(0)) + " " + test::quote(photos->at(5)) +
                 " --detector centernet --methods no-an,mask -q --json " +
                 test::quote(dir / "p.json") + " --report " + test::quote(dir / "rep"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  // The report: the page, and each shown face as the original and as the mask left it.
  const auto page = read_file(dir / "rep" / "index.html");
  ASSERT_TRUE(page.ok());
  EXPECT_NE(page->find("Face identification (rank-1)"), std::string::npos);
  const cv::Mat original = cv::imread((dir / "rep" / "crops" / "0_original.png").string());
  const cv::Mat masked = cv::imread((dir / "rep" / "crops" / "0_mask.png").string());
  ASSERT_FALSE(original.empty());
  ASSERT_EQ(masked.size(), original.size());
  EXPECT_GT(cv::norm(original, masked, cv::NORM_L1), 0);
  const json j = json::parse(std::ifstream(dir / "p.json"));
  EXPECT_EQ(j["inputs"], 2);
  EXPECT_GE(j["faces"].get<int>(), 6);  // of 7 by hand (3 + 4)
  EXPECT_LE(j["faces"].get<int>(), 7);
  EXPECT_DOUBLE_EQ(j["chance"]["face_rank1"].get<double>(), 1.0 / j["faces"].get<int>());
  EXPECT_DOUBLE_EQ(j["methods"]["no-an"]["face_rank1"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(j["methods"]["mask"]["face_redetection"].get<double>(), 0.0);
  EXPECT_LT(j["methods"]["mask"]["face_rank1"].get<double>(), 0.5);
}

}  // namespace
}  // namespace la3d

namespace la3d {
namespace {

// Outputs made elsewhere: an unchanged copy leaks everything; la3d's own mask output (written by
// `la3d anonymize`) hides the face as the in-process run does.
TEST(PrivacyCommand, AnonymizedElsewhereIsPairedByName) {
  const std::string photo = test::kMessi;
  if (const std::string why = test::attackers_missing(); !why.empty()) GTEST_SKIP() << why;
  test::TempDir dir;
  std::filesystem::create_directories(dir / "copy");
  std::filesystem::copy_file(photo, dir / "copy" / "messi5.jpg");
  auto r = test::la3d("privacy " + photo + " --anonymized " + test::quote(dir / "copy") +
                      " --json " + test::quote(dir / "copy.json"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  json j = json::parse(std::ifstream(dir / "copy.json"));
  EXPECT_DOUBLE_EQ(j["methods"]["anonymized"]["face_redetection"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(j["methods"]["anonymized"]["face_rank1"].get<double>(), 1.0);
  EXPECT_NEAR(j["methods"]["anonymized"]["face_similarity"].get<double>(), 1.0, 1e-6);

  std::filesystem::create_directories(dir / "masked");
  r = test::la3d("anonymize " + photo + " --detector centernet --method mask -o " +
                 test::quote(dir / "masked" / "messi5_anonymized.jpg"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  r = test::la3d("privacy " + photo + " --anonymized " + test::quote(dir / "masked") + " --json " +
                 test::quote(dir / "masked.json"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  j = json::parse(std::ifstream(dir / "masked.json"));
  EXPECT_DOUBLE_EQ(j["methods"]["anonymized"]["face_redetection"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(j["methods"]["anonymized"]["person_redetection"].get<double>(), 0.0);

  r = test::la3d("privacy " + photo + " " + photo + " --anonymized " +
                 test::quote(dir / "nothing"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("must be a folder"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace la3d

namespace la3d {
namespace {

// --ground-truth: the file's people and faces are what is measured. The face BlazeFace finds on
// messi5 (saved by `la3d anonymize --save-detections`) is found again on the unchanged image; a
// "person" drawn on empty grass is counted but never re-detected.
TEST(PrivacyCommand, GroundTruthBoxesAreTheReference) {
  const std::string photo = test::kMessi;
  if (const std::string why = test::attackers_missing(); !why.empty()) GTEST_SKIP() << why;
  test::TempDir dir;
  auto r =
      test::la3d("anonymize " + photo + " --classes face -t 0.5 -o " + test::quote(dir / "m.jpg") +
                 " --save-detections " + test::quote(dir / "found.jsonl"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  json line = json::parse(read_file(dir / "found.jsonl").value());
  ASSERT_EQ(line["objects"].size(), 1u) << line.dump();  // the player's face
  line["objects"].push_back({{"class", "person"}, {"box", {300, 300, 340, 338}}});
  {
    std::ofstream gt(dir / "gt.jsonl");
    gt << line.dump() << "\n";
  }
  r = test::la3d("privacy " + photo + " --ground-truth " + test::quote(dir / "gt.jsonl") +
                 " --methods no-an --json " + test::quote(dir / "p.json"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json j = json::parse(std::ifstream(dir / "p.json"));
  EXPECT_EQ(j["faces"], 1);
  EXPECT_EQ(j["persons"], 1);
  EXPECT_DOUBLE_EQ(j["methods"]["no-an"]["face_redetection"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(j["methods"]["no-an"]["person_redetection"].get<double>(), 0.0);
  r = test::la3d("privacy " + photo + " " + photo + " --ground-truth " +
                 test::quote(dir / "gt.jsonl"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("exactly one input"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace la3d

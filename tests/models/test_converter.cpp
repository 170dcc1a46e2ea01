// The TF.js -> ONNX converter: a tiny graph checked against a naive TF-semantics convolution (no
// download needed), and the embedded models against outputs of TF.js itself (fixtures made by
// scripts/tfjs-reference.cjs), run through OpenCV's dnn as la3d runs them.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <set>

#include "la3d/core/coco.hpp"
#include "la3d/detect/detector.hpp"
#include "la3d/io/io.hpp"
#include "la3d/models/models.hpp"
#include "la3d/detect/tracker.hpp"
#include "test_util.hpp"

namespace la3d {
namespace {

using json = nlohmann::json;

// The ONNX file of an installed embedded model; an error (the tests skip on it) when the cache has
// none: `make test` installs them, a bare ctest on a fresh machine may not have them.
const cv::Size kNanoDetInput(kNanoDetWidth, kNanoDetHeight);  // as installed

Result<std::string> embedded_model(const std::string& name) {
  auto m = installed_model(default_cache_dir(), name);
  if (!m)
    return make_error("models not installed (" + m.error().message +
                      "); `make test` installs them");
  return m->onnx.string();
}

std::string b64(const std::string& s) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int val = 0, bits = -6;
  for (unsigned char c : s) {
    val = (val << 8) + c;
    bits += 8;
    while (bits >= 0) out.push_back(t[(val >> bits) & 0x3f]), bits -= 6;
  }
  if (bits > -6) out.push_back(t[((val << 8) >> (bits + 8)) & 0x3f]);
  while (out.size() % 4) out.push_back('=');
  return out;
}

json list_i(std::vector<int> v) {
  json l = json::array();
  for (int x : v) l.push_back(std::to_string(x));
  return {{"list", {{"i", l}}}};
}

// input [1,5,6,2] NHWC -> Conv2D 3x3 stride 2 SAME -> BiasAdd -> Relu6 -> output [1,3,3,4]
struct TinyGraph {
  std::vector<float> filter, bias;  // HWIO [3,3,2,4], [4]
  void write(const test::TempDir& dir) const {
    json nodes = json::array();
    json dims = json::array();
    for (const char* d : {"1", "5", "6", "2"}) dims.push_back(json{{"size", d}});
    json placeholder{{"name", "x"}, {"op", "Placeholder"}};
    placeholder["attr"]["shape"]["shape"]["dim"] = dims;
    nodes.push_back(placeholder);
    nodes.push_back({{"name", "w"}, {"op", "Const"}, {"attr", json::object()}});
    nodes.push_back({{"name", "b"}, {"op", "Const"}, {"attr", json::object()}});
    nodes.push_back({{"name", "conv"},
                     {"op", "Conv2D"},
                     {"input", {"x", "w"}},
                     {"attr",
                      {{"padding", {{"s", b64("SAME")}}},
                       {"strides", list_i({1, 2, 2, 1})},
                       {"dilations", list_i({1, 1, 1, 1})},
                       {"data_format", {{"s", b64("NHWC")}}}}}});
    nodes.push_back({{"name", "biased"}, {"op", "BiasAdd"}, {"input", {"conv", "b"}}});
    nodes.push_back({{"name", "out"}, {"op", "Relu6"}, {"input", {"biased"}}});
    json m{
        {"format", "graph-model"},
        {"modelTopology", {{"node", nodes}}},
        {"signature",
         {{"inputs", {{"x:0", {{"name", "x:0"}}}}}, {"outputs", {{"out:0", {{"name", "out:0"}}}}}}},
        {"weightsManifest",
         {{{"paths", {"w.bin"}},
           {"weights",
            {{{"name", "w"}, {"shape", {3, 3, 2, 4}}, {"dtype", "float32"}},
             {{"name", "b"}, {"shape", {4}}, {"dtype", "float32"}}}}}}}};
    std::ofstream(dir / "model.json") << m.dump();
    std::ofstream bin(dir / "w.bin", std::ios::binary);
    bin.write(reinterpret_cast<const char*>(filter.data()), std::streamsize(filter.size() * 4));
    bin.write(reinterpret_cast<const char*>(bias.data()), std::streamsize(bias.size() * 4));
  }
};

TEST(Converter, TinyConvSameStride2MatchesNaiveTfSemantics) {
  test::TempDir dir;
  TinyGraph g;
  for (int k = 0; k < 3 * 3 * 2 * 4; ++k) g.filter.push_back(float(std::sin(k * 0.7)));
  g.bias = {0.1f, -0.2f, 3.0f, 0.f};
  g.write(dir);
  auto model = convert_tfjs_to_onnx(dir / "model.json");
  ASSERT_TRUE(model.ok()) << model.error().message;
  EXPECT_EQ(model->output_shapes.at(0), (std::vector<int64_t>{1, 3, 3, 4}));
  cv::dnn::Net net = cv::dnn::readNetFromONNX(model->bytes.data(), model->bytes.size());
  const int in_shape[] = {1, 5, 6, 2};
  cv::Mat x(4, in_shape, CV_32F);
  for (size_t k = 0; k < x.total(); ++k) x.ptr<float>()[k] = float(std::cos(k * 0.3));
  net.setInput(x);
  const cv::Mat y = net.forward();
  ASSERT_EQ(y.total(), 36u);
  // TF SAME, stride 2: out = ceil(in / 2); total pad = (out-1)*2 + 3 - in, the extra pixel at the
  // end.
  auto X = [&](int h, int w, int c) { return x.ptr<float>()[(h * 6 + w) * 2 + c]; };
  const int pad_top = ((3 - 1) * 2 + 3 - 5) / 2, pad_left = ((3 - 1) * 2 + 3 - 6) / 2;
  for (int oh = 0; oh < 3; ++oh)
    for (int ow = 0; ow < 3; ++ow)
      for (int co = 0; co < 4; ++co) {
        double acc = g.bias[co];
        for (int kh = 0; kh < 3; ++kh)
          for (int kw = 0; kw < 3; ++kw)
            for (int ci = 0; ci < 2; ++ci) {
              const int ih = oh * 2 + kh - pad_top, iw = ow * 2 + kw - pad_left;
              if (ih < 0 || ih >= 5 || iw < 0 || iw >= 6) continue;
              acc += X(ih, iw, ci) * g.filter[((kh * 3 + kw) * 2 + ci) * 4 + co];
            }
        const double want = std::clamp(acc, 0.0, 6.0);
        EXPECT_NEAR(y.ptr<float>()[(oh * 3 + ow) * 4 + co], want, 1e-5)
            << oh << "," << ow << "," << co;
      }
}

TEST(Converter, UnknownOpsAreRefusedByName) {
  test::TempDir dir;
  TinyGraph g;
  g.filter.assign(72, 0.f);
  g.bias.assign(4, 0.f);
  g.write(dir);
  json m = json::parse(std::ifstream(dir / "model.json"));
  m["modelTopology"]["node"][5]["op"] = "FFT2D";
  std::ofstream(dir / "model.json") << m.dump();
  auto model = convert_tfjs_to_onnx(dir / "model.json");
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.error().message.find("unsupported TF op FFT2D"), std::string::npos)
      << model.error().message;
  EXPECT_FALSE(convert_tfjs_to_onnx(dir / "missing.json").ok());
}

// Each embedded model's ONNX output against TF.js on the fixture's input.
class EmbeddedModel : public ::testing::TestWithParam<std::string> {};

TEST_P(EmbeddedModel, MatchesTfjs) {
  const auto installed = installed_model(default_cache_dir(), GetParam());
  if (!installed) GTEST_SKIP() << "models not installed: " << installed.error().message;
  const json fx =
      json::parse(std::ifstream(std::string(LA3D_FIXTURES_DIR) + "/" + GetParam() + "_tfjs.json"));
  std::vector<int> shape;
  for (const auto& d : fx["input"]["shape"]) shape.push_back(d.get<int>());
  // The fixture has the graph's own input size; a model installed at another (nanodet) is
  // converted again at the graph's size for this comparison.
  std::string bytes;
  if (std::vector<int64_t>(shape.begin(), shape.end()) == installed->input_shape) {
    auto file = read_file(installed->onnx);
    ASSERT_TRUE(file.ok());
    bytes = file.value();
  } else {
    auto onnx = convert_tfjs_to_onnx(installed->tfjs_json);
    ASSERT_TRUE(onnx.ok()) << onnx.error().message;
    bytes = onnx->bytes;
  }
  cv::Mat x(int(shape.size()), shape.data(), CV_32F);
  if (fx["input"]["ppm"].is_string()) {
    cv::Mat bgr = cv::imread(std::string(LA3D_FIXTURES_DIR) + "/" +
                             fx["input"]["ppm"].get<std::string>()),
            rgb;
    ASSERT_EQ(bgr.total() * 3, x.total());
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    for (size_t k = 0; k < x.total(); ++k) x.ptr<float>()[k] = rgb.data[k] / 255.f;
  } else {
    for (size_t k = 0; k < x.total(); ++k) x.ptr<float>()[k] = float((k * 7919) % 1000) / 1000.f;
  }
  cv::dnn::Net net = cv::dnn::readNetFromONNX(bytes.data(), bytes.size());
  net.setInput(x);
  std::vector<std::string> names;
  for (const auto& o : fx["outputs"]) {
    std::string n = o["name"].get<std::string>();
    std::replace(n.begin(), n.end(), '/', '_');
    names.push_back(n);
  }
  std::vector<cv::Mat> outs;
  net.forward(outs, names);
  for (size_t k = 0; k < names.size(); ++k) {
    const json& o = fx["outputs"][k];
    const float* got = outs[k].ptr<float>();
    double worst = 0;
    for (const auto& s : o["samples"]) {
      const double want = s[1].get<double>();
      // 1e-3, relative for values above 1 (box sizes reach several hundred pixels)
      worst =
          std::max(worst, std::abs(got[s[0].get<size_t>()] - want) / std::max(1.0, std::abs(want)));
    }
    EXPECT_LT(worst, 1e-3) << GetParam() << " " << names[k];
    RecordProperty(names[k] + "_worst_rel", std::to_string(worst));
    double sum = 0;
    for (size_t i = 0; i < outs[k].total(); ++i) sum += got[i];
    EXPECT_NEAR(sum, o["sum"].get<double>(), 1e-4 * std::max(1.0, o["abs_sum"].get<double>()))
        << names[k];
  }
}

INSTANTIATE_TEST_SUITE_P(Models, EmbeddedModel,
                         ::testing::Values("nanodet", "centernet", "blazeface-back",
                                           "blazeface-front", "selfie", "faceres"),
                         [](const auto& info) {
                           std::string n = info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

}  // namespace
}  // namespace la3d

namespace la3d {
namespace {

TEST(NanoDet, FindsThePlayerInMessi5) {
  const auto onnx = embedded_model("nanodet");
  if (!onnx) GTEST_SKIP() << onnx.error().message;
  const cv::Mat img = cv::imread("/usr/share/doc/opencv-doc/examples/data/messi5.jpg");
  ASSERT_FALSE(img.empty()) << "opencv-doc's messi5.jpg is missing";
  DetectOptions o;
  o.threshold = 0.5f;
  auto det = make_nanodet_detector(onnx.value(), o, kNanoDetInput);
  ASSERT_TRUE(det.ok()) << det.error().message;
  auto found = det.value()->detect(img, 0);
  ASSERT_TRUE(found.ok());
  // One player fills the middle of the 548x342 photo (by eye: x 70..460, y 60..335).
  ASSERT_GE(found->size(), 1u);
  const Detection& best = found->front();
  EXPECT_EQ(best.label, "person");
  EXPECT_TRUE(best.box.contains({250, 200}));
  EXPECT_TRUE(best.box.contains({120, 110}));
  EXPECT_GT(best.box.area(), img.total() / 3);
  EXPECT_LE(best.box.area(), img.total());
  // Asking for another class finds no player.
  o.classes = {3};  // car
  auto cars = make_nanodet_detector(onnx.value(), o, kNanoDetInput);
  EXPECT_TRUE(cars.value()->detect(img, 0)->empty());
}

// The converter's input-size override: NanoDet converted at its graph's 416x416 and at 416x320
// letterboxes messi5 (548x342) at the same scale, so both must find the same people in the same
// places; and the resized graph has the output grids of its size.
TEST(NanoDet, ResizedInputFindsWhatTheOriginalFinds) {
  const auto installed = installed_model(default_cache_dir(), "nanodet");
  if (!installed) GTEST_SKIP() << "models not installed: " << installed.error().message;
  test::TempDir dir;
  // As installed (outputs cut before the graph's last transposes), at both sizes.
  ConvertOptions at320 = embedded_convert_options("nanodet").value(), at416 = at320;
  at320.input_shape = {1, 3, 320, 416};
  at416.input_shape.clear();
  auto a = convert_tfjs_to_onnx(installed->tfjs_json, at416);
  auto b = convert_tfjs_to_onnx(installed->tfjs_json, at320);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(b->input_shapes.at(0), (std::vector<int64_t>{1, 3, 320, 416}));
  // Stride-8 class scores: 80 classes over (320/8) x (416/8) cells.
  EXPECT_EQ(b->output_shapes.at(0), (std::vector<int64_t>{1, 80, 40 * 52}));
  for (const auto& [name, m] : {std::pair{"a.onnx", &a.value()}, std::pair{"b.onnx", &b.value()}})
    ASSERT_TRUE(write_file_atomically(dir / name, m->bytes).ok());
  const cv::Mat img = cv::imread("/usr/share/doc/opencv-doc/examples/data/messi5.jpg");
  ASSERT_FALSE(img.empty());
  DetectOptions o;
  o.threshold = 0.3f;
  auto full = make_nanodet_detector((dir / "a.onnx").string(), o, {416, 416});
  auto cut = make_nanodet_detector((dir / "b.onnx").string(), o, {416, 320});
  ASSERT_TRUE(full.ok() && cut.ok());
  const auto want = full.value()->detect(img, 0).value();
  const auto got = cut.value()->detect(img, 0).value();
  ASSERT_FALSE(want.empty());
  ASSERT_EQ(got.size(), want.size());
  for (size_t k = 0; k < want.size(); ++k) {
    EXPECT_EQ(got[k].label, want[k].label);
    EXPECT_GT(iou(got[k].box, want[k].box), 0.95) << k;
  }
  // A size the graph's resizes cannot follow is refused by name, not converted wrongly.
  ConvertOptions odd = at320;
  odd.input_shape = {1, 3, 328, 416};
  EXPECT_FALSE(convert_tfjs_to_onnx(installed->tfjs_json, odd).ok());
}

}  // namespace
}  // namespace la3d

namespace la3d {
namespace {

TEST(SelfieSegmenter, GivesThePlayerASilhouette) {
  if (auto any = embedded_model("nanodet"); !any) GTEST_SKIP() << any.error().message;
  auto path = [](const std::string& name) { return embedded_model(name).value(); };
  const cv::Mat img = cv::imread("/usr/share/doc/opencv-doc/examples/data/messi5.jpg");
  DetectOptions o;
  o.threshold = 0.5f;
  auto seg = make_selfie_segmenter(make_nanodet_detector(path("nanodet"), o, kNanoDetInput).value(),
                                   path("selfie"));
  ASSERT_TRUE(seg.ok()) << seg.error().message;
  auto found = seg.value()->detect(img, 0);
  ASSERT_TRUE(found.ok());
  ASSERT_GE(found->size(), 1u);
  const Detection& d = found->front();
  ASSERT_FALSE(d.mask.empty()) << "no silhouette for the player";
  ASSERT_EQ(d.mask.size(), d.box.size());
  const double share = cv::countNonZero(d.mask) / double(d.box.area());
  EXPECT_GT(share, 0.15);  // a body, not a speck (arms and legs spread: 0.23 measured)
  EXPECT_LT(share, 0.9);   // and not the whole box
  EXPECT_EQ(d.mask(cv::Point(240, 150) - d.box.tl()), 255);                     // shirt
  EXPECT_EQ(d.mask(cv::Point(d.box.br().x - 3, d.box.y + 3) - d.box.tl()), 0);  // stands behind him
}

}  // namespace
}  // namespace la3d

namespace la3d {
namespace {

TEST(CenterNet, FindsThePlayerInMessi5) {
  const auto onnx = embedded_model("centernet");
  if (!onnx) GTEST_SKIP() << onnx.error().message;
  DetectOptions o;
  o.threshold = 0.3f;
  auto det = make_centernet_detector(onnx.value(), o);
  ASSERT_TRUE(det.ok()) << det.error().message;
  auto found =
      det.value()->detect(cv::imread("/usr/share/doc/opencv-doc/examples/data/messi5.jpg"), 0);
  ASSERT_TRUE(found.ok());
  ASSERT_GE(found->size(), 1u);
  EXPECT_EQ(found->front().label, "person");
  EXPECT_TRUE(found->front().box.contains({250, 200}));
  EXPECT_GT(found->front().box.area(), 548 * 342 / 3);
}

}  // namespace
}  // namespace la3d

namespace la3d {
namespace {

TEST(BlazeFace, FindsThePlayersFaceAndUnionAddsThePerson) {
  if (auto any = embedded_model("nanodet"); !any) GTEST_SKIP() << any.error().message;
  auto path = [](const std::string& name) { return embedded_model(name).value(); };
  const cv::Mat img = cv::imread("/usr/share/doc/opencv-doc/examples/data/messi5.jpg");
  DetectOptions faces;
  faces.threshold = 0.5f;
  faces.classes = {kFaceClassId};
  auto det = make_blazeface_detector(path("blazeface-back"), faces);
  ASSERT_TRUE(det.ok()) << det.error().message;
  auto found = det.value()->detect(img, 0);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);  // one face in the photo is large enough for the model
  EXPECT_EQ(found->front().label, "face");
  EXPECT_TRUE(found->front().box.contains({240, 115}));  // his face, by eye
  EXPECT_LT(found->front().box.area(), 80 * 80);

  DetectOptions people;
  people.threshold = 0.5f;
  std::vector<std::unique_ptr<Detector>> parts;
  parts.push_back(make_nanodet_detector(path("nanodet"), people, kNanoDetInput).value());
  parts.push_back(make_blazeface_detector(path("blazeface-back"), faces).value());
  auto both = make_union_detector(std::move(parts))->detect(img, 0);
  ASSERT_TRUE(both.ok());
  std::set<std::string> labels;
  for (const auto& d : both.value()) labels.insert(d.label);
  EXPECT_EQ(labels, (std::set<std::string>{"person", "face"}));
}

}  // namespace
}  // namespace la3d

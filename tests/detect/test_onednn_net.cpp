// The oneDNN runner against OpenCV's dnn, an independent implementation of the same ONNX
// operators: small graphs of each supported operator on random inputs, the installed NanoDet
// model on a real frame, and the graphs it must refuse.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "detect/onednn_net.hpp"
#include "la3d/detect/detector.hpp"
#include "la3d/models/models.hpp"

namespace la3d {
namespace {

// Builds opset-11 graphs the way the TF.js converter writes them (raw float/int64 constants).
class GraphBuilder {
 public:
  GraphBuilder(std::vector<int64_t> input) {
    model_.set_ir_version(6);
    model_.add_opset_import()->set_version(11);
    auto* in = model_.mutable_graph()->add_input();
    in->set_name("x");
    auto* t = in->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    for (auto d : input) t->mutable_shape()->add_dim()->set_dim_value(d);
  }
  std::string floats(std::vector<int64_t> dims, std::vector<float> v) {
    return constant(onnx::TensorProto::FLOAT, dims, v.data(), v.size() * 4);
  }
  std::string random(std::vector<int64_t> dims, float scale) {
    int64_t n = 1;
    for (auto d : dims) n *= d;
    std::vector<float> v(static_cast<size_t>(n));
    for (auto& x : v) x = float(rng_.uniform(-scale, scale));
    return floats(dims, v);
  }
  std::string ints(std::vector<int64_t> v) {
    return constant(onnx::TensorProto::INT64, {int64_t(v.size())}, v.data(), v.size() * 8);
  }
  onnx::NodeProto* node(const std::string& op, std::vector<std::string> in,
                        std::vector<std::string> out) {
    auto* n = model_.mutable_graph()->add_node();
    n->set_op_type(op);
    n->set_name(op + std::to_string(model_.graph().node_size()));
    for (auto& i : in) n->add_input(i);
    for (auto& o : out) n->add_output(o);
    return n;
  }
  static void attr(onnx::NodeProto* n, const std::string& name, std::vector<int64_t> v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (auto x : v) a->add_ints(x);
  }
  static void attr(onnx::NodeProto* n, const std::string& name, int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void attr(onnx::NodeProto* n, const std::string& name, float v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }
  static void attr(onnx::NodeProto* n, const std::string& name, const std::string& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v);
  }
  // Conv with random weights (and bias), optionally followed by LeakyRelu(slope).
  std::string conv(const std::string& in, int64_t cin, int64_t cout, int64_t k, int64_t stride,
                   int64_t pad, bool bias, float slope = -1) {
    const std::string out = "v" + std::to_string(next_++);
    std::vector<std::string> ins{in, random({cout, cin, k, k}, 0.5f)};
    if (bias) ins.push_back(random({cout}, 0.5f));
    auto* n = node("Conv", ins, {out});
    attr(n, "kernel_shape", std::vector<int64_t>{k, k});
    attr(n, "strides", std::vector<int64_t>{stride, stride});
    attr(n, "pads", std::vector<int64_t>{pad, pad, pad, pad});
    attr(n, "dilations", std::vector<int64_t>{1, 1});
    attr(n, "group", int64_t(1));
    if (slope < 0) return out;
    const std::string r = "v" + std::to_string(next_++);
    auto* l = node(slope == 0 ? "Relu" : "LeakyRelu", {out}, {r});
    if (slope > 0) attr(l, "alpha", slope);
    return r;
  }
  std::string value() { return "v" + std::to_string(next_++); }
  void output(const std::string& name) {
    auto* o = model_.mutable_graph()->add_output();
    o->set_name(name);
    o->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
    o->mutable_type()->mutable_tensor_type()->mutable_shape();  // OpenCV asserts one is there
  }
  std::string bytes() const { return model_.SerializeAsString(); }

 private:
  std::string constant(int type, std::vector<int64_t> dims, const void* data, size_t size) {
    auto* t = model_.mutable_graph()->add_initializer();
    t->set_name("c" + std::to_string(next_++));
    t->set_data_type(type);
    for (auto d : dims) t->add_dims(d);
    t->set_raw_data(data, size);
    return t->name();
  }
  onnx::ModelProto model_;
  cv::RNG rng_{12345};
  int next_ = 0;
};

struct GraphCase {
  std::string name;
  std::vector<int64_t> input;
  // Builds the graph on `g` and returns the output names.
  std::vector<std::string> (*build)(GraphBuilder& g);
};

std::ostream& operator<<(std::ostream& os, const GraphCase& c) {
  return os << c.name;
}

std::vector<int> as_int(const std::vector<int64_t>& v) {
  return {v.begin(), v.end()};
}

class OneDnnGraphs : public ::testing::TestWithParam<GraphCase> {};

TEST_P(OneDnnGraphs, SameOutputsAsOpenCvDnn) {
  if (!OneDnnNet::available()) GTEST_SKIP() << "this build has no oneDNN (libdnnl-dev)";
  GraphBuilder g(GetParam().input);
  const std::vector<std::string> outputs = GetParam().build(g);
  for (const auto& o : outputs) g.output(o);
  const std::string bytes = g.bytes();

  const std::vector<int> dims = as_int(GetParam().input);
  cv::Mat input(int(dims.size()), dims.data(), CV_32F);
  cv::randu(input, -2.0, 2.0);

  auto fast = OneDnnNet::load(bytes, dims, outputs, 2);
  ASSERT_TRUE(fast.ok()) << fast.error().message;
  auto got = fast.value()->forward(input);
  ASSERT_TRUE(got.ok()) << got.error().message;

  cv::dnn::Net net = cv::dnn::readNetFromONNX(bytes.data(), bytes.size());
  net.setInput(input);
  std::vector<cv::Mat> want;
  net.forward(want, std::vector<cv::String>(outputs.begin(), outputs.end()));

  ASSERT_EQ(got->size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(outputs[i]);
    ASSERT_EQ(got->at(i).total(), want[i].total());
    ASSERT_EQ(std::vector<int>(got->at(i).size.p, got->at(i).size.p + got->at(i).dims),
              std::vector<int>(want[i].size.p, want[i].size.p + want[i].dims));
    const double scale = std::max(1.0, cv::norm(want[i], cv::NORM_INF));
    EXPECT_LT(cv::norm(got->at(i).reshape(1, 1), want[i].reshape(1, 1), cv::NORM_INF),
              1e-4 * scale);
    // The outputs must not be trivially equal (a graph that outputs zeros would pass anything).
    EXPECT_GT(cv::norm(want[i], cv::NORM_INF), 1e-3);
  }
  // A second pass on another input: the buffers are reused, the results must follow the input;
  // and the same graph built for one thread (the work is split differently) agrees too.
  cv::Mat other = input.clone();
  cv::randu(other, -2.0, 2.0);
  auto single = OneDnnNet::load(bytes, dims, outputs, 1);
  ASSERT_TRUE(single.ok()) << single.error().message;
  net.setInput(other);
  net.forward(want, std::vector<cv::String>(outputs.begin(), outputs.end()));
  for (auto* n : {fast.value().get(), single.value().get()}) {
    auto again = n->forward(other);
    ASSERT_TRUE(again.ok());
    for (size_t i = 0; i < want.size(); ++i) {
      const double scale = std::max(1.0, cv::norm(want[i], cv::NORM_INF));
      EXPECT_LT(cv::norm(again->at(i).reshape(1, 1), want[i].reshape(1, 1), cv::NORM_INF),
                1e-4 * scale);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Operators, OneDnnGraphs,
    ::testing::Values(
        GraphCase{"Conv3x3LeakyRelu",
                  {1, 3, 20, 24},
                  [](GraphBuilder& g) -> std::vector<std::string> {
                    return {g.conv("x", 3, 16, 3, 1, 1, true, 0.1f)};
                  }},
        GraphCase{"ConvStride2ThenRelu",
                  {1, 5, 21, 18},
                  [](GraphBuilder& g) -> std::vector<std::string> {
                    return {g.conv("x", 5, 24, 3, 2, 1, true, 0.f)};
                  }},
        GraphCase{"Conv1x1NoBiasNoActivation",
                  {1, 32, 9, 11},
                  [](GraphBuilder& g) -> std::vector<std::string> {
                    return {g.conv("x", 32, 20, 1, 1, 0, false)};
                  }},
        GraphCase{"ConvOutputAlsoUsedElsewhereIsNotFused",
                  {1, 4, 8, 8},
                  [](GraphBuilder& g) -> std::vector<std::string> {
                    const auto c = g.conv("x", 4, 16, 3, 1, 1, true);
                    const auto r = g.value();
                    GraphBuilder::attr(g.node("LeakyRelu", {c}, {r}), "alpha", 0.2f);
                    return {c, r};
                  }},
        GraphCase{"MinusInfPadThenMaxPool",
                  {1, 16, 15, 20},
                  [](GraphBuilder& g) -> std::vector<std::string> {
                    const auto c = g.conv("x", 16, 16, 3, 1, 1, true, 0.1f);
                    const auto p = g.value(), m = g.value();
                    auto* pad = g.node("Pad",
                                       {c, g.ints({0, 0, 1, 1, 0, 0, 1, 1}),
                                        g.floats({}, {-std::numeric_limits<float>::infinity()})},
                                       {p});
                    GraphBuilder::attr(pad, "mode", std::string("constant"));
                    auto* pool = g.node("MaxPool", {p}, {m});
                    GraphBuilder::attr(pool, "kernel_shape", std::vector<int64_t>{3, 3});
                    GraphBuilder::attr(pool, "strides", std::vector<int64_t>{2, 2});
                    return {m};
                  }},
        GraphCase{"ConcatOfTwoConvsAndAdd",
                  {1, 8, 12, 16},
                  [](GraphBuilder& g) -> std::vector<std::string> {
                    const auto a = g.conv("x", 8, 16, 3, 1, 1, true, 0.1f);
                    const auto b = g.conv(a, 16, 16, 3, 1, 1, true, 0.1f);
                    const auto cat = g.value();
                    GraphBuilder::attr(g.node("Concat", {b, a}, {cat}), "axis", int64_t(1));
                    const auto c = g.conv(cat, 32, 32, 1, 1, 0, true);
                    const auto d = g.conv("x", 8, 32, 3, 1, 1, true);
                    const auto sum = g.value();
                    g.node("Add", {c, d}, {sum});
                    return {sum};
                  }},
        GraphCase{"ResizeUpTwiceLinearHalfPixel",
                  {1, 16, 5, 7},
                  [](GraphBuilder& g) -> std::vector<std::string> {
                    const auto c = g.conv("x", 16, 16, 1, 1, 0, true);
                    const auto r = g.value();
                    auto* n = g.node(
                        "Resize",
                        {c, g.floats({0}, {}), g.floats({0}, {}), g.ints({1, 16, 10, 14})}, {r});
                    GraphBuilder::attr(n, "mode", std::string("linear"));
                    GraphBuilder::attr(n, "coordinate_transformation_mode",
                                       std::string("half_pixel"));
                    return {r};
                  }},
        GraphCase{
            "ResizeDownHalfLinearHalfPixel",
            {1, 16, 12, 14},
            [](GraphBuilder& g) -> std::vector<std::string> {
              const auto c = g.conv("x", 16, 16, 1, 1, 0, true);
              const auto r = g.value();
              auto* n = g.node(
                  "Resize", {c, g.floats({0}, {}), g.floats({0}, {}), g.ints({1, 16, 6, 7})}, {r});
              GraphBuilder::attr(n, "mode", std::string("linear"));
              GraphBuilder::attr(n, "coordinate_transformation_mode", std::string("half_pixel"));
              return {r};
            }},
        GraphCase{"SplitSigmoidReshapeLikeNanoDetsHead",
                  {1, 16, 6, 8},
                  [](GraphBuilder& g) -> std::vector<std::string> {
                    const auto c = g.conv("x", 16, 34, 1, 1, 0, true);
                    const auto s0 = g.value(), s1 = g.value(), sig = g.value(), r0 = g.value(),
                               r1 = g.value(), id = g.value();
                    auto* split = g.node("Split", {c}, {s0, s1});
                    GraphBuilder::attr(split, "axis", int64_t(1));
                    GraphBuilder::attr(split, "split", std::vector<int64_t>{20, 14});
                    g.node("Sigmoid", {s0}, {sig});
                    g.node("Reshape", {sig, g.ints({1, 20, 48})}, {r0});
                    g.node("Identity", {r0}, {id});
                    g.node("Reshape", {s1, g.ints({0, 14, -1})}, {r1});
                    return {id, r1};
                  }}),
    [](const auto& info) { return info.param.name; });

// Graphs the runner must refuse (the caller then uses OpenCV), never run wrongly.
struct RefusedCase {
  std::string name;
  void (*build)(GraphBuilder& g, std::string& out);
};
std::ostream& operator<<(std::ostream& os, const RefusedCase& c) {
  return os << c.name;
}

class OneDnnRefuses : public ::testing::TestWithParam<RefusedCase> {};

TEST_P(OneDnnRefuses, WithAnErrorNamingTheProblem) {
  if (!OneDnnNet::available()) GTEST_SKIP() << "this build has no oneDNN (libdnnl-dev)";
  GraphBuilder g({1, 4, 8, 8});
  std::string out;
  GetParam().build(g, out);
  g.output(out);
  auto net = OneDnnNet::load(g.bytes(), {1, 4, 8, 8}, {out}, 1);
  ASSERT_FALSE(net.ok());
  EXPECT_NE(net.error().message.find("oneDNN"), std::string::npos) << net.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Graphs, OneDnnRefuses,
    ::testing::Values(
        RefusedCase{"UnsupportedOperator",
                    [](GraphBuilder& g, std::string& out) {
                      out = g.value();
                      g.node("Mul", {"x", "x"}, {out});
                    }},
        RefusedCase{"GroupedConvolution",
                    [](GraphBuilder& g, std::string& out) {
                      out = g.value();
                      auto* n = g.node("Conv", {"x", g.random({4, 1, 3, 3}, 1)}, {out});
                      GraphBuilder::attr(n, "group", int64_t(4));
                    }},
        RefusedCase{
            "ZeroPadBeforeMaxPool",
            [](GraphBuilder& g, std::string& out) {
              const auto p = g.value();
              out = g.value();
              g.node("Pad", {"x", g.ints({0, 0, 1, 1, 0, 0, 1, 1}), g.floats({}, {0.f})}, {p});
              GraphBuilder::attr(g.node("MaxPool", {p}, {out}), "kernel_shape",
                                 std::vector<int64_t>{3, 3});
            }},
        RefusedCase{"WeightsShorterThanTheirDims",
                    [](GraphBuilder& g, std::string& out) {
                      out = g.value();
                      g.node("Conv", {"x", g.floats({8, 4, 3, 3}, {1.f, 2.f})}, {out});
                    }},
        RefusedCase{"KernelLargerThanTheInput",
                    [](GraphBuilder& g, std::string& out) {
                      out = g.value();
                      g.node("Conv", {"x", g.random({2, 4, 9, 9}, 1)}, {out});
                    }},
        RefusedCase{"NearestResize",
                    [](GraphBuilder& g, std::string& out) {
                      out = g.value();
                      g.node("Resize",
                             {"x", g.floats({0}, {}), g.floats({0}, {}), g.ints({1, 4, 16, 16})},
                             {out});
                    }},
        // Found by the fuzzer: empty constants were copied from a null pointer (UBSan).
        RefusedCase{
            "ResizeWithEmptyScalesAndNoSizes",
            [](GraphBuilder& g, std::string& out) {
              out = g.value();
              auto* n = g.node("Resize", {"x", g.floats({0}, {}), g.floats({0}, {})}, {out});
              GraphBuilder::attr(n, "mode", std::string("linear"));
            }},
        RefusedCase{"ReshapeThatDoesNotFit",
                    [](GraphBuilder& g, std::string& out) {
                      out = g.value();
                      const auto c = g.conv("x", 4, 4, 1, 1, 0, true);
                      g.node("Reshape", {c, g.ints({1, 4, 63})}, {out});
                    }},
        RefusedCase{"OutputThatIsTheInput",
                    [](GraphBuilder& g, std::string& out) {
                      out = g.value();
                      g.node("Identity", {"x"}, {out});
                    }},
        RefusedCase{"UndefinedValue",
                    [](GraphBuilder& g, std::string& out) {
                      out = g.value();
                      g.node("Relu", {"nowhere"}, {out});
                    }}),
    [](const auto& info) { return info.param.name; });

TEST(OneDnnNet, RefusesBytesThatAreNoModelAndInputsOfAnotherSize) {
  if (!OneDnnNet::available()) GTEST_SKIP() << "this build has no oneDNN (libdnnl-dev)";
  EXPECT_FALSE(OneDnnNet::load("\x08\x96\x01garbage", {1, 3, 8, 8}, {"y"}, 1).ok());
  GraphBuilder g({1, 4, 8, 8});
  const auto y = g.conv("x", 4, 8, 3, 1, 1, true, 0.1f);
  g.output(y);
  auto net = OneDnnNet::load(g.bytes(), {1, 4, 8, 8}, {y}, 1);
  ASSERT_TRUE(net.ok()) << net.error().message;
  const int wrong[] = {1, 4, 8, 9};
  auto r = net.value()->forward(cv::Mat(4, wrong, CV_32F, cv::Scalar(0)));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("1x4x8x8"), std::string::npos) << r.error().message;
  // An output name that the graph does not have.
  EXPECT_FALSE(OneDnnNet::load(g.bytes(), {1, 4, 8, 8}, {"missing"}, 1).ok());
}

// The installed NanoDet: raw outputs close to OpenCV's, and the same people in the same boxes on
// frames of vtest.avi.
TEST(OneDnnNet, InstalledNanoDetMatchesOpenCv) {
  if (!OneDnnNet::available()) GTEST_SKIP() << "this build has no oneDNN (libdnnl-dev)";
  const auto installed = installed_model(default_cache_dir(), "nanodet");
  if (!installed) GTEST_SKIP() << "models not installed: " << installed.error().message;
  cv::VideoCapture cap("/usr/share/doc/opencv-doc/examples/data/vtest.avi");
  ASSERT_TRUE(cap.isOpened());
  DetectOptions fast_o, cv_o;
  cv_o.inference = Inference::opencv;
  auto fast = make_nanodet_detector(installed->onnx.string(), fast_o, {416, 320});
  auto reference = make_nanodet_detector(installed->onnx.string(), cv_o, {416, 320});
  ASSERT_TRUE(fast.ok() && reference.ok());
  cv::Mat frame;
  size_t people = 0;
  for (int i = 0; i < 120 && cap.read(frame); ++i) {
    if (i % 10) continue;
    auto a = fast.value()->detect(frame, i);
    auto b = reference.value()->detect(frame, i);
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_EQ(a->size(), b->size()) << "frame " << i;
    for (size_t k = 0; k < a->size(); ++k) {
      EXPECT_EQ(a->at(k).box, b->at(k).box) << "frame " << i;
      EXPECT_NEAR(a->at(k).score, b->at(k).score, 1e-3) << "frame " << i;
    }
    people += a->size();
  }
  EXPECT_GT(people, 50u);  // vtest has about 15 people a frame: the comparison saw many

  // Raw outputs on the last frame's blob against OpenCV's: stride-8 scores, stride-32 distances.
  auto raw = OneDnnNet::load_file(
      installed->onnx.string(), {1, 3, 320, 416},
      {"PartitionedCall_onnx_tf_prefix_Reshape_156", "PartitionedCall_onnx_tf_prefix_Reshape_181"},
      2);
  ASSERT_TRUE(raw.ok()) << raw.error().message;
  cv::Mat small;
  cv::resize(frame, small, {416, 320});
  const cv::Mat blob = cv::dnn::blobFromImage(small, 1 / 57.0, {}, cv::Scalar(103, 116, 123));
  auto got = raw.value()->forward(blob);
  ASSERT_TRUE(got.ok()) << got.error().message;
  cv::dnn::Net net = cv::dnn::readNetFromONNX(installed->onnx.string());
  net.setInput(blob);
  std::vector<cv::Mat> want;
  net.forward(want, std::vector<cv::String>{"PartitionedCall_onnx_tf_prefix_Reshape_156",
                                            "PartitionedCall_onnx_tf_prefix_Reshape_181"});
  for (size_t i = 0; i < 2; ++i) {
    ASSERT_EQ(got->at(i).total(), want[i].total());
    EXPECT_LT(cv::norm(got->at(i).reshape(1, 1), want[i].reshape(1, 1), cv::NORM_INF), 2e-3);
  }
}

}  // namespace
}  // namespace la3d

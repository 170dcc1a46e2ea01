// `la3d models import` on real Ultralytics exports (random weights, from ../shared/vectors/yolo):
// OpenCV 4.6 loads none of them as exported; after the import they load and match PyTorch.
#include <gtest/gtest.h>

#include <opencv2/dnn.hpp>

#include "la3d/models/models.hpp"
#include "test_util.hpp"

namespace la3d {
namespace {

const std::filesystem::path kYolo = std::filesystem::path(LA3D_SHARED_DIR) / "vectors" / "yolo";

struct YoloCase {
  std::string model, input;
  std::vector<std::string> refs;
};

class YoloImport : public ::testing::TestWithParam<YoloCase> {};

TEST_P(YoloImport, LoadsInOpenCvAndMatchesPyTorch) {
  if (!std::filesystem::exists(kYolo / GetParam().model))
    GTEST_SKIP() << "YOLO fixtures not found at " << kYolo
                 << " (they live in the shared research folder)";
  auto model = import_onnx_for_opencv(kYolo / GetParam().model);
  ASSERT_TRUE(model.ok()) << model.error().message;
  cv::dnn::Net net = cv::dnn::readNetFromONNX(model->bytes.data(), model->bytes.size());
  const cv::Mat input = test::read_npy(kYolo / GetParam().input);
  ASSERT_FALSE(input.empty());
  net.setInput(input);
  std::vector<cv::Mat> outs;
  net.forward(outs, model->output_names);
  ASSERT_EQ(outs.size(), GetParam().refs.size());
  for (size_t k = 0; k < outs.size(); ++k) {
    const cv::Mat ref = test::read_npy(kYolo / GetParam().refs[k]);
    ASSERT_EQ(outs[k].total(), ref.total()) << model->output_names[k];
    double worst = 0;
    for (size_t i = 0; i < ref.total(); ++i) {
      const double want = ref.ptr<float>()[i];
      worst =
          std::max(worst, std::abs(outs[k].ptr<float>()[i] - want) / std::max(1.0, std::abs(want)));
    }
    // The fixtures' README measured 2e-4 absolute on boxes up to ~480 px: relative 1e-4 holds.
    EXPECT_LT(worst, 1e-4) << model->output_names[k];
    RecordProperty(model->output_names[k] + "_worst_rel", std::to_string(worst));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shared, YoloImport,
    ::testing::Values(
        YoloCase{"yolov8n_320x320_op12.onnx", "input_320x320.npy", {"yolov8n_320x320_ref0.npy"}},
        YoloCase{"yolov8n-seg_256x320_op12.onnx",
                 "input_256x320.npy",
                 {"yolov8n-seg_256x320_ref0.npy", "yolov8n-seg_256x320_ref1.npy"}},
        YoloCase{"yolo11n-seg_320x320_op17.onnx",
                 "input_320x320.npy",
                 {"yolo11n-seg_320x320_ref0.npy", "yolo11n-seg_320x320_ref1.npy"}}),
    [](const auto& info) {
      return std::string(info.index == 0 ? "v8n" : info.index == 1 ? "v8n_seg" : "v11n_seg");
    });

TEST(YoloImport, FixedSizeMismatchAndNonModelsAreRefused) {
  if (!std::filesystem::exists(kYolo / "yolov8n_320x320_op12.onnx"))
    GTEST_SKIP() << "YOLO fixtures not found";
  auto wrong = import_onnx_for_opencv(kYolo / "yolov8n_320x320_op12.onnx", 640, 480);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("fixed at 320x320"), std::string::npos)
      << wrong.error().message;
  EXPECT_FALSE(import_onnx_for_opencv(kYolo / "README.md").ok());
}

}  // namespace
}  // namespace la3d

namespace la3d {
namespace {

// The ReID fixture (OSNet x0.25, random weights): `la3d models import` makes it loadable, and the
// privacy command's ReID attacker gives PyTorch's embedding.
TEST(ReidImport, OsnetLoadsInOpenCvAndMatchesPyTorch) {
  const auto dir = std::filesystem::path(LA3D_SHARED_DIR) / "vectors" / "reid";
  const auto onnx = dir / "osnet_x0_25_256x128_op12.onnx";
  if (!std::filesystem::exists(onnx))
    GTEST_SKIP() << "ReID fixture not found at " << dir
                 << " (it lives in the shared research folder)";
  EXPECT_ANY_THROW(cv::dnn::readNetFromONNX(onnx.string()));  // as exported: the fixture's README
  auto model = import_onnx_for_opencv(onnx);
  ASSERT_TRUE(model.ok()) << model.error().message;
  cv::dnn::Net net = cv::dnn::readNetFromONNX(model->bytes.data(), model->bytes.size());
  const cv::Mat input = test::read_npy(dir / "osnet_x0_25_256x128_op12.onnx.input.npy");
  const cv::Mat ref = test::read_npy(dir / "osnet_x0_25_256x128_op12.onnx.features.npy");
  ASSERT_FALSE(input.empty());
  ASSERT_EQ(ref.total(), 512u);
  net.setInput(input);
  const cv::Mat out = net.forward();
  ASSERT_EQ(out.total(), ref.total());
  double worst = 0;
  for (size_t i = 0; i < ref.total(); ++i)
    worst = std::max(worst, double(std::abs(out.ptr<float>()[i] - ref.ptr<float>()[i])));
  EXPECT_LT(worst, 1e-4);
  RecordProperty("worst_abs", std::to_string(worst));
}

}  // namespace
}  // namespace la3d

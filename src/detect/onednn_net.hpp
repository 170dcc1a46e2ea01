#pragma once
// Runs a small convolutional ONNX graph on oneDNN's CPU primitives: NanoDet's forward pass, whose
// convolutions OpenCV 4.6's dnn computes about 3x slower on this project's AVX-512 machines.
#include <memory>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "la3d/core/result.hpp"

namespace la3d {

// Why by hand: oneDNN (Debian's libdnnl, already on every machine with libtorch) supplies the
// kernels but reads no model file, and no Debian package runs ONNX graphs on it. What is written
// here is only the mapping of ONNX nodes to oneDNN primitives, for the operators NanoDet uses:
// Conv (fused with a following Relu/LeakyRelu), Relu, LeakyRelu, Add, Concat (channels), MaxPool
// (with a -inf Pad before it), Resize (linear, half_pixel), Split (channels), Sigmoid, Reshape,
// Identity. A graph with anything else is refused, and the caller uses OpenCV's dnn.
class OneDnnNet {
 public:
  // Builds the graph for an NCHW float input of `input_dims`, computing `outputs` (value names),
  // on `threads` threads (oneDNN splits each primitive's work when it builds it, so the count is
  // fixed here; cv::getNumThreads() is the usual value).
  static Result<std::unique_ptr<OneDnnNet>> load(const std::string& onnx_bytes,
                                                 const std::vector<int>& input_dims,
                                                 const std::vector<std::string>& outputs,
                                                 int threads);
  static Result<std::unique_ptr<OneDnnNet>> load_file(const std::string& onnx_path,
                                                      const std::vector<int>& input_dims,
                                                      const std::vector<std::string>& outputs,
                                                      int threads);
  ~OneDnnNet();

  // One forward pass on `input` (float, the dims given to load, contiguous). Returns the outputs
  // in the order asked for, as float Mats with the ONNX shapes (copies: the next call reuses the
  // network's buffers).
  Result<std::vector<cv::Mat>> forward(const cv::Mat& input);

  // Whether this build has oneDNN at all (without it, load always returns an error).
  static bool available();

  struct Impl;  // defined in the .cpp only: no oneDNN header leaks out

 private:
  explicit OneDnnNet(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace la3d

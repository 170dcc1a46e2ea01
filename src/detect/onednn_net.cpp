// See onednn_net.hpp. Every value of the graph gets its own oneDNN memory, in the layout the
// primitive producing it prefers (blocked channels for convolutions); a reorder is inserted only
// where a consumer wants another layout. All primitives and weights are prepared once in load.
#include "onednn_net.hpp"

#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#ifdef LA3D_HAVE_DNNL
#include <onnx/onnx_pb.h>

#include <oneapi/dnnl/dnnl.hpp>

// Debian's oneDNN runs on GNU OpenMP (libgomp). la3d links that same runtime and declares its one
// call here rather than including <omp.h>: under clang that header belongs to LLVM's runtime, and
// two OpenMP runtimes in one process would each keep their own threads.
extern "C" void omp_set_num_threads(int);
extern "C" int omp_get_max_threads();
#endif

namespace la3d {

#ifdef LA3D_HAVE_DNNL
namespace {

using dnnl::memory;
using Dims = memory::dims;

struct Step {
  dnnl::primitive primitive;
  std::unordered_map<int, memory> args;
};

memory::format_tag plain_tag(size_t ndims) {
  using tag = memory::format_tag;
  switch (ndims) {
    case 1:
      return tag::a;
    case 2:
      return tag::ab;
    case 3:
      return tag::abc;
    case 4:
      return tag::abcd;
    case 5:
      return tag::abcde;
    default:
      return tag::undef;
  }
}

memory::desc plain_desc(const Dims& dims) {
  return memory::desc(dims, memory::data_type::f32, plain_tag(dims.size()));
}

int64_t product(const Dims& d) {
  int64_t p = 1;
  for (auto v : d) p *= v;
  return p;
}

std::string dims_text(const Dims& d) {
  std::string s;
  for (auto v : d) s += (s.empty() ? "" : "x") + std::to_string(v);
  return s;
}

// A failure while building: the message names the node.
struct BuildError {
  std::string message;
};

}  // namespace

struct OneDnnNet::Impl {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  memory input;  // plain NCHW; its buffer is the caller's, set only while a pass runs
  std::vector<Step> steps;
  std::vector<memory> outputs;     // plain layout, in the order asked for
  std::vector<memory> view_bases;  // buffers that views point into, kept alive with the net
  int threads = 1;
};

namespace {

class Builder {
 public:
  Builder(OneDnnNet::Impl& net, const onnx::GraphProto& g) : net_(net), g_(g) {}

  void build(const std::vector<int>& input_dims, const std::vector<std::string>& outputs) {
    for (const auto& t : g_.initializer()) inits_[t.name()] = &t;
    std::string input_name;
    for (const auto& i : g_.input())
      if (!inits_.contains(i.name())) {
        if (!input_name.empty()) fail("the graph has more than one input");
        input_name = i.name();
      }
    if (input_name.empty()) fail("the graph has no input");
    if (input_dims.size() != 4) fail("the input must be NCHW");
    for (int d : input_dims)
      if (d <= 0 || d > 16384) fail("bad input size");
    net_.input = memory(plain_desc(Dims(input_dims.begin(), input_dims.end())), net_.engine,
                        DNNL_MEMORY_NONE);
    values_[input_name] = net_.input;

    for (int i = 0; i < g_.node_size(); ++i)
      for (const auto& in : g_.node(i).input())
        if (!in.empty()) consumers_[in].push_back(i);
    for (const auto& o : outputs) consumers_[o].push_back(-1);

    for (int i = 0; i < g_.node_size(); ++i)
      if (!skipped_.contains(i)) node(i);

    for (const auto& o : outputs) {
      memory m = plain(value(o, "output"));
      // The input's buffer is the caller's and set only while a pass runs.
      if (!m.get_data_handle()) fail("output " + o + " is the graph input");
      net_.outputs.push_back(m);
    }
  }

 private:
  [[noreturn]] static void fail(const std::string& what) { throw BuildError{what}; }

  const memory& value(const std::string& name, const std::string& node) {
    auto it = values_.find(name);
    if (it == values_.end()) fail(node + ": no value " + name);
    return it->second;
  }
  const onnx::TensorProto& init(const std::string& name, const std::string& node) {
    auto it = inits_.find(name);
    if (it == inits_.end()) fail(node + ": " + name + " is not a constant");
    return *it->second;
  }
  void define(const std::string& name, const memory& m) {
    if (values_.contains(name)) fail("value " + name + " is defined twice");
    values_[name] = m;
  }

  static const onnx::AttributeProto* attribute(const onnx::NodeProto& n, const char* name) {
    for (const auto& a : n.attribute())
      if (a.name() == name) return &a;
    return nullptr;
  }
  static Dims ints(const onnx::NodeProto& n, const char* name, Dims fallback) {
    const auto* a = attribute(n, name);
    if (!a) return fallback;
    return Dims(a->ints().begin(), a->ints().end());
  }
  static int64_t integer(const onnx::NodeProto& n, const char* name, int64_t fallback) {
    const auto* a = attribute(n, name);
    return a ? a->i() : fallback;
  }
  static float real(const onnx::NodeProto& n, const char* name, float fallback) {
    const auto* a = attribute(n, name);
    return a ? a->f() : fallback;
  }
  static std::string text(const onnx::NodeProto& n, const char* name, std::string fallback) {
    const auto* a = attribute(n, name);
    return a ? a->s() : fallback;
  }

  // The values of a float or int64 constant, checked against its dims.
  std::vector<float> floats(const onnx::TensorProto& t) {
    int64_t count = 1;
    for (auto d : t.dims()) {
      if (d < 0 || d > (int64_t(1) << 28)) fail(t.name() + ": bad dims");
      count *= d;
      if (count > (int64_t(1) << 28)) fail(t.name() + ": too large");
    }
    if (t.data_type() != onnx::TensorProto::FLOAT) fail(t.name() + ": not float");
    std::vector<float> v;
    if (t.has_raw_data()) {
      if (int64_t(t.raw_data().size()) != count * 4) fail(t.name() + ": size does not fit dims");
      v.resize(size_t(count));
      if (count) std::memcpy(v.data(), t.raw_data().data(), t.raw_data().size());
    } else {
      if (t.float_data_size() != count) fail(t.name() + ": size does not fit dims");
      v.assign(t.float_data().begin(), t.float_data().end());
    }
    return v;
  }
  std::vector<int64_t> int64s(const onnx::TensorProto& t) {
    if (t.data_type() != onnx::TensorProto::INT64) fail(t.name() + ": not int64");
    std::vector<int64_t> v;
    if (t.has_raw_data()) {
      if (t.raw_data().size() % 8 || t.raw_data().size() > 1024) fail(t.name() + ": bad size");
      v.resize(t.raw_data().size() / 8);
      if (!v.empty()) std::memcpy(v.data(), t.raw_data().data(), t.raw_data().size());
    } else {
      v.assign(t.int64_data().begin(), t.int64_data().end());
    }
    return v;
  }

  // `m` in layout `want`, through a reorder added to the run if it is in another.
  memory as(const memory& m, const memory::desc& want) {
    if (m.get_desc() == want) return m;
    memory out(want, net_.engine);
    net_.steps.push_back({dnnl::reorder(m, out), {{DNNL_ARG_FROM, m}, {DNNL_ARG_TO, out}}});
    return out;
  }
  memory plain(const memory& m) { return as(m, plain_desc(m.get_desc().dims())); }

  // A plain view of `count` floats of `base` (plain) from float `offset` on, with `dims`.
  memory view(const memory& base, const Dims& dims, int64_t offset) {
    float* p = static_cast<float*>(base.get_data_handle());
    // The input's buffer is set per forward pass, so no view may be taken of it.
    if (!p) fail("a view of the graph input is not supported");
    net_.view_bases.push_back(base);
    return memory(plain_desc(dims), net_.engine, p + offset);
  }

  // The single node consuming `value` (or -1), when there is exactly one.
  int sole_consumer(const std::string& v) {
    auto it = consumers_.find(v);
    return it != consumers_.end() && it->second.size() == 1 ? it->second[0] : -1;
  }

  void node(int index) {
    const onnx::NodeProto& n = g_.node(index);
    const std::string& op = n.op_type();
    const std::string where = op + " " + n.name();
    if (!n.domain().empty() && n.domain() != "ai.onnx") fail(where + ": unsupported domain");
    if (n.input_size() < 1 || n.output_size() < 1) fail(where + ": missing inputs or outputs");
    if (op == "Conv") return conv(n, where);
    if (op == "Relu" || op == "LeakyRelu" || op == "Sigmoid") return eltwise(n, where);
    if (op == "Add") return add(n, where);
    if (op == "Concat") return concat(n, where);
    if (op == "Pad") return pad(n, where);
    if (op == "MaxPool") return max_pool(n, where);
    if (op == "Resize") return resize(n, where);
    if (op == "Split") return split(n, where);
    if (op == "Reshape") return reshape(n, where);
    if (op == "Identity") return define(n.output(0), value(n.input(0), where));
    fail(where + ": operator not supported");
  }

  void conv(const onnx::NodeProto& n, const std::string& where) {
    const memory src = value(n.input(0), where);
    const Dims sd = src.get_desc().dims();
    if (n.input_size() < 2) fail(where + ": no weights");
    const auto& wt = init(n.input(1), where);
    std::vector<float> w = floats(wt);
    const Dims wd(wt.dims().begin(), wt.dims().end());
    if (sd.size() != 4 || wd.size() != 4 || integer(n, "group", 1) != 1 || wd[1] != sd[1])
      fail(where + ": only ungrouped 2-D convolutions are supported");
    const Dims kernel = ints(n, "kernel_shape", {wd[2], wd[3]});
    const Dims strides = ints(n, "strides", {1, 1}), dil = ints(n, "dilations", {1, 1});
    const Dims pads = ints(n, "pads", {0, 0, 0, 0});
    if (kernel != Dims{wd[2], wd[3]} || strides.size() != 2 || dil != Dims{1, 1} ||
        pads.size() != 4 || text(n, "auto_pad", "NOTSET") != "NOTSET")
      fail(where + ": unsupported attributes");
    for (auto v : strides)
      if (v < 1) fail(where + ": bad strides");
    for (auto v : pads)
      if (v < 0 || v > 64) fail(where + ": bad pads");
    const Dims pad_l{pads[0], pads[1]}, pad_r{pads[2], pads[3]};
    const int64_t oh = (sd[2] + pads[0] + pads[2] - wd[2]) / strides[0] + 1;
    const int64_t ow = (sd[3] + pads[1] + pads[3] - wd[3]) / strides[1] + 1;
    if (oh < 1 || ow < 1 || sd[2] + pads[0] + pads[2] < wd[2] || sd[3] + pads[1] + pads[3] < wd[3])
      fail(where + ": kernel larger than its input");
    const Dims dd{sd[0], wd[0], oh, ow};
    std::vector<float> bias(static_cast<size_t>(wd[0]), 0.f);
    if (n.input_size() > 2 && !n.input(2).empty()) {
      bias = floats(init(n.input(2), where));
      if (int64_t(bias.size()) != wd[0]) fail(where + ": bias size does not fit");
    }

    // A Relu or LeakyRelu that is the only consumer runs inside the convolution.
    std::string out = n.output(0);
    dnnl::post_ops post;
    if (const int next = sole_consumer(out); next >= 0) {
      const auto& r = g_.node(next);
      if (r.op_type() == "Relu" || r.op_type() == "LeakyRelu") {
        const float slope = r.op_type() == "Relu" ? 0.f : real(r, "alpha", 0.01f);
        post.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, slope, 0.f);
        out = r.output(0);
        skipped_.insert(next);
      }
    }
    dnnl::primitive_attr attr;
    attr.set_post_ops(post);
    using tag = memory::format_tag;
    const auto f32 = memory::data_type::f32;
    const memory::desc b_md({wd[0]}, f32, tag::x);
    const dnnl::convolution_forward::desc d(
        dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
        memory::desc(sd, f32, tag::any), memory::desc(wd, f32, tag::any), b_md,
        memory::desc(dd, f32, tag::any), strides, pad_l, pad_r);
    const dnnl::convolution_forward::primitive_desc pd(d, attr, net_.engine);
    const memory s = as(src, pd.src_desc());
    memory user_w(plain_desc(wd), net_.engine), wm(pd.weights_desc(), net_.engine);
    std::memcpy(user_w.get_data_handle(), w.data(), w.size() * sizeof(float));
    dnnl::reorder(user_w, wm).execute(net_.stream, user_w, wm);
    net_.stream.wait();
    memory bm(b_md, net_.engine);
    std::memcpy(bm.get_data_handle(), bias.data(), bias.size() * sizeof(float));
    memory dst(pd.dst_desc(), net_.engine);
    net_.steps.push_back(
        {dnnl::convolution_forward(pd),
         {{DNNL_ARG_SRC, s}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_BIAS, bm}, {DNNL_ARG_DST, dst}}});
    define(out, dst);
  }

  void eltwise(const onnx::NodeProto& n, const std::string& where) {
    const memory src = value(n.input(0), where);
    const bool sigmoid = n.op_type() == "Sigmoid";
    const float slope = n.op_type() == "LeakyRelu" ? real(n, "alpha", 0.01f) : 0.f;
    const dnnl::eltwise_forward::desc d(
        dnnl::prop_kind::forward_inference,
        sigmoid ? dnnl::algorithm::eltwise_logistic : dnnl::algorithm::eltwise_relu, src.get_desc(),
        slope, 0.f);
    const dnnl::eltwise_forward::primitive_desc pd(d, net_.engine);
    memory dst(pd.dst_desc(), net_.engine);
    net_.steps.push_back({dnnl::eltwise_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}}});
    define(n.output(0), dst);
  }

  void add(const onnx::NodeProto& n, const std::string& where) {
    if (n.input_size() != 2) fail(where + ": Add needs two inputs");
    const memory a = value(n.input(0), where);
    if (value(n.input(1), where).get_desc().dims() != a.get_desc().dims())
      fail(where + ": broadcasting is not supported");
    const memory b = as(value(n.input(1), where), a.get_desc());
    const dnnl::binary::desc d(dnnl::algorithm::binary_add, a.get_desc(), b.get_desc(),
                               a.get_desc());
    const dnnl::binary::primitive_desc pd(d, net_.engine);
    memory dst(pd.dst_desc(), net_.engine);
    net_.steps.push_back(
        {dnnl::binary(pd), {{DNNL_ARG_SRC_0, a}, {DNNL_ARG_SRC_1, b}, {DNNL_ARG_DST, dst}}});
    define(n.output(0), dst);
  }

  void concat(const onnx::NodeProto& n, const std::string& where) {
    const Dims first = value(n.input(0), where).get_desc().dims();
    int64_t axis = integer(n, "axis", 1);
    if (axis < 0) axis += int64_t(first.size());
    if (axis != 1 || first.size() != 4) fail(where + ": only channel concatenation is supported");
    std::vector<memory::desc> descs;
    std::unordered_map<int, memory> args;
    for (int i = 0; i < n.input_size(); ++i) {
      const memory m = value(n.input(i), where);
      Dims d = m.get_desc().dims();
      if (d.size() != 4 || d[0] != first[0] || d[2] != first[2] || d[3] != first[3])
        fail(where + ": inputs of different sizes");
      descs.push_back(m.get_desc());
      args[DNNL_ARG_MULTIPLE_SRC + i] = m;
    }
    const dnnl::concat::primitive_desc pd(1, descs, net_.engine);
    memory dst(pd.dst_desc(), net_.engine);
    args[DNNL_ARG_DST] = dst;
    net_.steps.push_back({dnnl::concat(pd), std::move(args)});
    define(n.output(0), dst);
  }

  // TF's "SAME" max pooling arrives as Pad(-inf) + MaxPool: the pad becomes the pooling's own
  // padding (oneDNN's max pooling ignores padded cells, which is what -inf does).
  void pad(const onnx::NodeProto& n, const std::string& where) {
    const Dims sd = value(n.input(0), where).get_desc().dims();
    if (text(n, "mode", "constant") != "constant" || n.input_size() < 3 || sd.size() != 4)
      fail(where + ": only constant padding before max pooling is supported");
    const std::vector<float> v = floats(init(n.input(2), where));
    const std::vector<int64_t> p = int64s(init(n.input(1), where));
    if (v.size() != 1 || !(std::isinf(v[0]) && v[0] < 0) || p.size() != 8 || p[0] || p[1] || p[4] ||
        p[5])
      fail(where + ": only -inf spatial padding before max pooling is supported");
    for (auto x : p)
      if (x < 0 || x > 64) fail(where + ": bad pads");
    for (int c : consumers_[n.output(0)])
      if (c < 0 || g_.node(c).op_type() != "MaxPool")
        fail(where + ": only -inf spatial padding before max pooling is supported");
    pads_[n.output(0)] = {n.input(0), {p[2], p[3], p[6], p[7]}};
  }

  void max_pool(const onnx::NodeProto& n, const std::string& where) {
    std::string in = n.input(0);
    Dims extra{0, 0, 0, 0};
    if (auto it = pads_.find(in); it != pads_.end()) {
      in = it->second.first;
      extra = it->second.second;
    }
    const memory src = value(in, where);
    const Dims sd = src.get_desc().dims();
    const Dims kernel = ints(n, "kernel_shape", {}), strides = ints(n, "strides", {1, 1});
    Dims pads = ints(n, "pads", {0, 0, 0, 0});
    if (sd.size() != 4 || kernel.size() != 2 || strides.size() != 2 || pads.size() != 4 ||
        integer(n, "ceil_mode", 0) != 0 || ints(n, "dilations", {1, 1}) != Dims{1, 1} ||
        text(n, "auto_pad", "NOTSET") != "NOTSET" || n.output_size() != 1)
      fail(where + ": unsupported attributes");
    for (int i = 0; i < 4; ++i) pads[size_t(i)] += extra[size_t(i)];
    for (auto v : kernel)
      if (v < 1 || v > 64) fail(where + ": bad kernel");
    for (auto v : strides)
      if (v < 1) fail(where + ": bad strides");
    for (int i = 0; i < 2; ++i)
      if (pads[size_t(i)] < 0 || pads[size_t(i + 2)] < 0 || pads[size_t(i)] >= kernel[size_t(i)] ||
          pads[size_t(i + 2)] >= kernel[size_t(i)])
        fail(where + ": bad pads");
    const int64_t oh = (sd[2] + pads[0] + pads[2] - kernel[0]) / strides[0] + 1;
    const int64_t ow = (sd[3] + pads[1] + pads[3] - kernel[1]) / strides[1] + 1;
    if (oh < 1 || ow < 1) fail(where + ": kernel larger than its input");
    const Dims dd{sd[0], sd[1], oh, ow};
    const dnnl::pooling_forward::desc d(
        dnnl::prop_kind::forward_inference, dnnl::algorithm::pooling_max, src.get_desc(),
        memory::desc(dd, memory::data_type::f32, memory::format_tag::any), strides, kernel,
        {pads[0], pads[1]}, {pads[2], pads[3]});
    const dnnl::pooling_forward::primitive_desc pd(d, net_.engine);
    memory dst(pd.dst_desc(), net_.engine);
    net_.steps.push_back({dnnl::pooling_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}}});
    define(n.output(0), dst);
  }

  void resize(const onnx::NodeProto& n, const std::string& where) {
    const memory src = value(n.input(0), where);
    const Dims sd = src.get_desc().dims();
    if (sd.size() != 4 || text(n, "mode", "nearest") != "linear" ||
        text(n, "coordinate_transformation_mode", "half_pixel") != "half_pixel")
      fail(where + ": only linear half-pixel resizing is supported");
    Dims dd;
    if (n.input_size() > 3 && !n.input(3).empty()) {
      const auto sizes = int64s(init(n.input(3), where));
      dd.assign(sizes.begin(), sizes.end());
    } else if (n.input_size() > 2 && !n.input(2).empty()) {
      const auto scales = floats(init(n.input(2), where));
      if (scales.size() != 4) fail(where + ": bad scales");
      for (size_t i = 0; i < 4; ++i) dd.push_back(int64_t(std::floor(sd[i] * double(scales[i]))));
    }
    if (dd.size() != 4 || dd[0] != sd[0] || dd[1] != sd[1] || dd[2] < 1 || dd[3] < 1 ||
        dd[2] > 16384 || dd[3] > 16384)
      fail(where + ": only spatial resizing is supported");
    if (product(dd) > (int64_t(1) << 26)) fail(where + ": output too large");
    const dnnl::resampling_forward::desc d(
        dnnl::prop_kind::forward_inference, dnnl::algorithm::resampling_linear, src.get_desc(),
        memory::desc(dd, memory::data_type::f32, memory::format_tag::any));
    const dnnl::resampling_forward::primitive_desc pd(d, net_.engine);
    memory dst(pd.dst_desc(), net_.engine);
    net_.steps.push_back(
        {dnnl::resampling_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}}});
    define(n.output(0), dst);
  }

  // Channel ranges of a plain [1, C, H, W] value are contiguous: the parts are views.
  void split(const onnx::NodeProto& n, const std::string& where) {
    const memory src = plain(value(n.input(0), where));
    const Dims sd = src.get_desc().dims();
    int64_t axis = integer(n, "axis", 0);
    if (axis < 0) axis += int64_t(sd.size());
    if (sd.size() != 4 || axis != 1 || sd[0] != 1)
      fail(where + ": only channel splits of one image are supported");
    Dims parts = ints(n, "split", {});
    if (parts.empty()) {
      if (sd[1] % n.output_size()) fail(where + ": channels do not split evenly");
      parts.assign(size_t(n.output_size()), sd[1] / n.output_size());
    }
    int64_t total = 0;
    for (auto p : parts) {
      if (p < 1) fail(where + ": bad split");
      total += p;
    }
    if (int64_t(parts.size()) != n.output_size() || total != sd[1])
      fail(where + ": split does not fit the channels");
    int64_t channel = 0;
    for (int i = 0; i < n.output_size(); ++i) {
      define(n.output(i), view(src, {1, parts[size_t(i)], sd[2], sd[3]}, channel * sd[2] * sd[3]));
      channel += parts[size_t(i)];
    }
  }

  void reshape(const onnx::NodeProto& n, const std::string& where) {
    if (n.input_size() < 2) fail(where + ": no shape");
    const memory src = plain(value(n.input(0), where));
    const Dims sd = src.get_desc().dims();
    const auto shape = int64s(init(n.input(1), where));
    if (shape.empty() || shape.size() > 5) fail(where + ": bad shape");
    Dims dd;
    int infer = -1;
    int64_t known = 1;
    for (size_t i = 0; i < shape.size(); ++i) {
      int64_t v = shape[i];
      if (v == 0 && i < sd.size()) v = sd[i];
      if (v == -1) {
        if (infer >= 0) fail(where + ": two -1 in shape");
        infer = int(i);
        dd.push_back(1);
        continue;
      }
      if (v < 1 || v > (int64_t(1) << 28)) fail(where + ": bad shape");
      known *= v;
      if (known > (int64_t(1) << 28)) fail(where + ": bad shape");
      dd.push_back(v);
    }
    if (infer >= 0) {
      if (product(sd) % known) fail(where + ": shape does not fit");
      dd[size_t(infer)] = product(sd) / known;
    }
    if (product(dd) != product(sd))
      fail(where + ": shape " + dims_text(dd) + " does not fit " + dims_text(sd));
    define(n.output(0), view(src, dd, 0));
  }

  OneDnnNet::Impl& net_;
  const onnx::GraphProto& g_;
  std::map<std::string, const onnx::TensorProto*> inits_;
  std::map<std::string, memory> values_;
  std::map<std::string, std::vector<int>> consumers_;  // -1: a graph output
  std::map<std::string, std::pair<std::string, Dims>> pads_;
  std::set<int> skipped_;
};

}  // namespace

OneDnnNet::OneDnnNet(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
OneDnnNet::~OneDnnNet() = default;
bool OneDnnNet::available() {
  return true;
}

// Sets this thread's OpenMP thread count for a scope (oneDNN reads it when it builds and runs
// primitives), and puts the previous one back.
class OmpThreads {
 public:
  explicit OmpThreads(int n) : saved_(omp_get_max_threads()) {
    omp_set_num_threads(std::max(1, n));
  }
  ~OmpThreads() { omp_set_num_threads(saved_); }
  OmpThreads(const OmpThreads&) = delete;
  OmpThreads& operator=(const OmpThreads&) = delete;

 private:
  int saved_;
};

Result<std::unique_ptr<OneDnnNet>> OneDnnNet::load(const std::string& bytes,
                                                   const std::vector<int>& input_dims,
                                                   const std::vector<std::string>& outputs,
                                                   int threads) {
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes)) return make_error("not an ONNX model");
  try {
    auto impl = std::make_unique<Impl>();
    impl->threads = std::max(1, threads);
    const OmpThreads scope(impl->threads);
    Builder(*impl, model.graph()).build(input_dims, outputs);
    return std::unique_ptr<OneDnnNet>(new OneDnnNet(std::move(impl)));
  } catch (const BuildError& e) {
    return make_error("oneDNN: " + e.message);
  } catch (const dnnl::error& e) {
    return make_error(std::string("oneDNN: ") + e.what());
  } catch (const std::exception& e) {
    return make_error(std::string("oneDNN: ") + e.what());
  }
}

Result<std::vector<cv::Mat>> OneDnnNet::forward(const cv::Mat& input) {
  const Dims expected = impl_->input.get_desc().dims();
  if (input.type() != CV_32F || !input.isContinuous() ||
      int64_t(input.total()) != product(expected))
    return make_error("oneDNN: input of " + std::to_string(input.total()) + " floats, expected " +
                      dims_text(expected));
  try {
    // The primitives keep the thread count they were built for; the setting also covers the
    // reorders, which read it as they run.
    const OmpThreads scope(impl_->threads);
    impl_->input.set_data_handle(const_cast<float*>(input.ptr<float>()));
    for (auto& s : impl_->steps) s.primitive.execute(impl_->stream, s.args);
    impl_->stream.wait();
    impl_->input.set_data_handle(DNNL_MEMORY_NONE);
    std::vector<cv::Mat> out;
    for (const memory& o : impl_->outputs) {
      const Dims d = o.get_desc().dims();
      const std::vector<int> sizes(d.begin(), d.end());
      cv::Mat m(int(sizes.size()), sizes.data(), CV_32F);
      std::memcpy(m.data, o.get_data_handle(), m.total() * sizeof(float));
      out.push_back(std::move(m));
    }
    return out;
  } catch (const std::exception& e) {
    return make_error(std::string("oneDNN inference failed: ") + e.what());
  }
}

#else  // no oneDNN in this build

struct OneDnnNet::Impl {};
OneDnnNet::OneDnnNet(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
OneDnnNet::~OneDnnNet() = default;
bool OneDnnNet::available() {
  return false;
}
Result<std::unique_ptr<OneDnnNet>> OneDnnNet::load(const std::string&, const std::vector<int>&,
                                                   const std::vector<std::string>&, int) {
  return make_error("this build has no oneDNN");
}
Result<std::vector<cv::Mat>> OneDnnNet::forward(const cv::Mat&) {
  return make_error("this build has no oneDNN");
}

#endif

Result<std::unique_ptr<OneDnnNet>> OneDnnNet::load_file(const std::string& path,
                                                        const std::vector<int>& input_dims,
                                                        const std::vector<std::string>& outputs,
                                                        int threads) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return make_error("cannot read " + path);
  std::ostringstream bytes;
  bytes << f.rdbuf();
  auto net = load(bytes.str(), input_dims, outputs, threads);
  if (!net) return make_error(path + ": " + net.error().message);
  return net;
}

}  // namespace la3d

// Exported ONNX graphs (torch.onnx.export of Ultralytics models) made loadable by OpenCV 4.6, whose
// importer needs constant shapes, plain broadcasting and Split without a sizes input. Every rewrite
// keeps the numbers: only constant subgraphs are evaluated, and only layouts of constants change.
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <set>

#include "la3d/models/models.hpp"
#include "tfjs_graph.hpp"

namespace la3d {
namespace {

using models::Tensor;

// Why `t` cannot be read as the shape it claims (a file's dims and data are independent fields, and
// a crafted one makes them disagree), or empty when it can. Types la3d does not read pass.
std::string malformed(const onnx::TensorProto& t) {
  int64_t n = 1;
  for (int64_t d : t.dims())
    if (d < 0 || __builtin_mul_overflow(n, d, &n) || n > (int64_t(1) << 30))
      return "impossible shape";
  size_t esize = 0, values = 0;
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      esize = 4, values = size_t(t.float_data_size());
      break;
    case onnx::TensorProto::INT64:
      esize = 8, values = size_t(t.int64_data_size());
      break;
    case onnx::TensorProto::INT32:
      esize = 4, values = size_t(t.int32_data_size());
      break;
    default:
      return "";
  }
  if (!t.raw_data().empty() && t.raw_data().size() != size_t(n) * esize)
    return "raw data holds " + std::to_string(t.raw_data().size()) + " bytes, its shape needs " +
           std::to_string(size_t(n) * esize);
  if (t.raw_data().empty() && values != size_t(n))
    return "holds " + std::to_string(values) + " values, its shape needs " + std::to_string(n);
  return "";
}

std::optional<Tensor> to_tensor(const onnx::TensorProto& t) {
  if (!malformed(t).empty()) return std::nullopt;
  Tensor out;
  for (int64_t d : t.dims()) out.shape.push_back(d);
  const int64_t n = out.size();
  const std::string& raw = t.raw_data();
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      out.f.resize(n);
      if (!raw.empty())
        std::memcpy(out.f.data(), raw.data(),
                    n * 4);  // n > 0: raw is not empty and fits (malformed())
      else
        for (int64_t k = 0; k < n; ++k) out.f[k] = t.float_data(int(k));
      return out;
    case onnx::TensorProto::INT64:
      out.is_float = false;
      out.i.resize(n);
      if (!raw.empty())
        std::memcpy(out.i.data(), raw.data(), n * 8);
      else
        for (int64_t k = 0; k < n; ++k) out.i[k] = t.int64_data(int(k));
      return out;
    case onnx::TensorProto::INT32:
      out.is_float = false;
      out.i.resize(n);
      for (int64_t k = 0; k < n; ++k) {
        int32_t v = 0;
        if (!raw.empty())
          std::memcpy(&v, raw.data() + 4 * k, 4);
        else
          v = t.int32_data(int(k));
        out.i[k] = v;
      }
      return out;
    default:
      return std::nullopt;
  }
}

onnx::TensorProto to_proto(const Tensor& t, const std::string& name) {
  onnx::TensorProto p;
  p.set_name(name);
  for (int64_t d : t.shape) p.add_dims(d);
  if (t.is_float) {
    p.set_data_type(onnx::TensorProto::FLOAT);
    p.set_raw_data(std::string(reinterpret_cast<const char*>(t.f.data()), t.f.size() * 4));
  } else {
    p.set_data_type(onnx::TensorProto::INT64);
    p.set_raw_data(std::string(reinterpret_cast<const char*>(t.i.data()), t.i.size() * 8));
  }
  return p;
}

const onnx::AttributeProto* attr(const onnx::NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

Tensor ints(std::vector<int64_t> v) {
  Tensor t;
  t.is_float = false;
  t.shape = {int64_t(v.size())};
  t.i = std::move(v);
  return t;
}

// Evaluates a node whose inputs are all constant, for the ops export scripts use on shapes.
std::optional<Tensor> evaluate(const onnx::NodeProto& n, const std::vector<const Tensor*>& in) {
  const std::string& op = n.op_type();
  static const std::map<std::string, std::function<double(double, double)>> kArith = {
      {"Add", std::plus<double>()},
      {"Sub", std::minus<double>()},
      {"Mul", std::multiplies<double>()},
      {"Div", [](double a, double b) { return b == 0 ? 0.0 : a / b; }},
  };
  if (auto it = kArith.find(op); it != kArith.end() && in.size() == 2) {
    // fold_binary stores an integer result truncated toward zero, as ONNX's integer Div does.
    return models::fold_binary(*in[0], *in[1], it->second);
  }
  if (op == "Gather" && in.size() == 2 && in[0]->shape.size() == 1) {
    Tensor r;
    r.is_float = in[0]->is_float;
    r.shape = in[1]->shape;
    for (int64_t k = 0; k < in[1]->size(); ++k) {
      int64_t idx = int64_t(in[1]->at(k));
      if (idx < 0) idx += in[0]->size();
      if (r.is_float)
        r.f.push_back(in[0]->f[idx]);
      else
        r.i.push_back(in[0]->i[idx]);
    }
    return r;
  }
  // Identity of a constant (an exporter's alias of a shared weight, e.g. in OSNet) is that
  // constant: OpenCV 4.6 cannot read an Identity whose input is an initializer.
  if (op == "Identity" && in.size() == 1) return *in[0];
  if ((op == "Unsqueeze" || op == "Squeeze" || op == "Reshape" || op == "Flatten" ||
       op == "Identity") &&
      in[0]->size() <= 64) {
    // Only 0-d/1-d shape values reach these here: the result is the same values as a vector.
    Tensor r = *in[0];
    r.shape = {r.size()};
    if (op == "Reshape" && in.size() == 2) {
      r.shape.clear();
      for (int64_t k = 0; k < in[1]->size(); ++k) r.shape.push_back(int64_t(in[1]->at(k)));
      if (r.shape.size() == 1 && r.shape[0] == -1) r.shape = {in[0]->size()};
    }
    return r;
  }
  if (op == "Concat" && !in.empty()) {
    Tensor r;
    r.is_float = in[0]->is_float;
    for (const Tensor* t : in) {
      if (t->shape.size() > 1) return std::nullopt;
      for (int64_t k = 0; k < t->size(); ++k)
        if (r.is_float)
          r.f.push_back(float(t->at(k)));
        else
          r.i.push_back(int64_t(t->at(k)));
    }
    r.shape = {int64_t(r.is_float ? r.f.size() : r.i.size())};
    return r;
  }
  if (op == "Cast" && in.size() == 1) {
    const auto* to = attr(n, "to");
    Tensor r = *in[0];
    const bool to_float =
        to && (to->i() == onnx::TensorProto::FLOAT || to->i() == onnx::TensorProto::DOUBLE);
    if (to_float && !r.is_float) r.f.assign(r.i.begin(), r.i.end()), r.i.clear();
    if (!to_float && r.is_float) {
      for (float v : r.f) r.i.push_back(int64_t(v));
      r.f.clear();
    }
    r.is_float = to_float;
    return r;
  }
  if (op == "Slice" && in.size() >= 3 && in[0]->shape.size() == 1) {
    const int64_t n0 = in[0]->size();
    int64_t b = int64_t(in[1]->at(0)), e = int64_t(in[2]->at(0));
    const int64_t step = in.size() > 4 ? int64_t(in[4]->at(0)) : 1;
    if (step != 1) return std::nullopt;
    b = b < 0 ? b + n0 : std::min(b, n0);
    e = e < 0 ? e + n0 : std::min(e, n0);
    Tensor r;
    r.is_float = in[0]->is_float;
    for (int64_t k = b; k < e; ++k)
      if (r.is_float)
        r.f.push_back(in[0]->f[k]);
      else
        r.i.push_back(in[0]->i[k]);
    r.shape = {std::max<int64_t>(0, e - b)};
    return r;
  }
  return std::nullopt;
}

std::vector<int64_t> static_shape(const onnx::TypeProto& t) {
  std::vector<int64_t> s;
  if (!t.has_tensor_type() || !t.tensor_type().has_shape()) return {};
  for (const auto& d : t.tensor_type().shape().dim()) {
    if (!d.has_dim_value()) return {};
    s.push_back(d.dim_value());
  }
  return s;
}

class Importer {
 public:
  explicit Importer(onnx::ModelProto& m) : m_(m), g_(*m.mutable_graph()) {}

  Status run(int width, int height) {
    if (Status s = fix_input(width, height); !s) return s;
    for (const auto& init : g_.initializer()) {
      if (const std::string why = malformed(init); !why.empty())
        return make_error("initializer '" + init.name() + "': " + why);
      if (auto t = to_tensor(init)) consts_[init.name()] = *t;
    }
    // Folding makes Slice bounds and Reshape targets constant, which lets shape inference see
    // further, which lets more Shape nodes fold: repeat until nothing changes.
    for (int pass = 0; pass < 8; ++pass) {
      if (Status s = infer_shapes(); !s) return s;
      google::protobuf::RepeatedPtrField<onnx::NodeProto> kept;
      bool folded = false;
      for (const onnx::NodeProto& n : g_.node()) {
        if (fold(n)) {
          folded = true;
          continue;
        }
        *kept.Add() = n;
      }
      g_.mutable_node()->Swap(&kept);
      store_constants();
      if (!folded) break;
    }
    if (Status s = infer_shapes(); !s) return s;
    google::protobuf::RepeatedPtrField<onnx::NodeProto> rewritten;
    for (const onnx::NodeProto& n : g_.node()) {
      if (n.op_type() == "Split") {
        if (Status s = split_to_slices(n, rewritten); !s) return s;
        continue;
      }
      onnx::NodeProto copy = n;
      expand_broadcast_constant(copy);
      *rewritten.Add() = copy;
    }
    g_.mutable_node()->Swap(&rewritten);
    store_constants();
    g_.clear_value_info();
    return Ok{};
  }

 private:
  // ONNX's own shape inference (Debian's libonnx) divides by strides and kernel sizes without
  // checking them: a crafted file with a stride of 0 stops the process with SIGFPE. Checked here
  // first, for every op that has them.
  Status check_window_attributes() const {
    for (const auto& n : g_.node())
      for (const auto& a : n.attribute()) {
        const std::string& k = a.name();
        const bool positive = k == "strides" || k == "dilations" || k == "kernel_shape";
        if (!positive && k != "pads" && k != "group") continue;
        for (int64_t v : a.ints())
          if (v < (positive ? 1 : 0) || v > (int64_t(1) << 20))
            return make_error(n.op_type() + " '" + n.name() + "': attribute " + k + " holds " +
                              std::to_string(v));
        if (k == "group" && (a.i() < 1 || a.i() > (int64_t(1) << 20)))
          return make_error(n.op_type() + " '" + n.name() + "': group " + std::to_string(a.i()));
      }
    return Ok{};
  }

  Status infer_shapes() {
    if (Status s = check_window_attributes(); !s) return s;
    // ONNX's checker first: it refuses attributes an op does not have (a crafted "s\x11rides"),
    // which shape inference would otherwise meet as missing ones and crash on (SEGV, found by
    // fuzzing).
    try {
      onnx::checker::check_model(m_);
    } catch (const std::exception& e) {
      return make_error(std::string("not a valid ONNX model: ") + e.what());
    }
    g_.clear_value_info();
    try {
      onnx::shape_inference::InferShapes(m_);
    } catch (const std::exception& e) {
      return make_error(std::string("shape inference failed: ") + e.what());
    }
    shapes_.clear();
    for (const auto& vi : g_.value_info()) shapes_[vi.name()] = static_shape(vi.type());
    for (const auto& vi : g_.input()) shapes_[vi.name()] = static_shape(vi.type());
    for (const auto& vi : g_.output()) shapes_[vi.name()] = static_shape(vi.type());
    return Ok{};
  }

  // The graph's initializers become exactly the constants its nodes still use.
  void store_constants() {
    std::set<std::string> used;
    for (const auto& n : g_.node())
      for (const auto& in : n.input()) used.insert(in);
    for (const auto& o : g_.output()) used.insert(o.name());
    g_.clear_initializer();
    for (const auto& [name, t] : consts_)
      if (used.contains(name)) *g_.add_initializer() = to_proto(t, name);
    // Initializers listed as graph inputs (older exports) must not stay inputs once folded away.
    google::protobuf::RepeatedPtrField<onnx::ValueInfoProto> inputs;
    for (const auto& in : g_.input())
      if (!consts_.contains(in.name())) *inputs.Add() = in;
    g_.mutable_input()->Swap(&inputs);
  }

  Status fix_input(int width, int height) {
    std::set<std::string> inits;
    for (const auto& i : g_.initializer()) inits.insert(i.name());
    int real_inputs = 0;
    for (auto& in : *g_.mutable_input()) {
      if (inits.contains(in.name())) continue;
      ++real_inputs;
      auto* shape = in.mutable_type()->mutable_tensor_type()->mutable_shape();
      if (shape->dim_size() != 4) return make_error("input " + in.name() + " is not NCHW (4-d)");
      const bool dynamic = !shape->dim(2).has_dim_value() || !shape->dim(3).has_dim_value();
      if (dynamic && (width <= 0 || height <= 0))
        return make_error("input " + in.name() +
                          " has dynamic height/width; give the size (--size WxH)");
      if (!dynamic && width > 0 &&
          (shape->dim(2).dim_value() != height || shape->dim(3).dim_value() != width))
        return make_error("input " + in.name() + " is fixed at " +
                          std::to_string(shape->dim(3).dim_value()) + "x" +
                          std::to_string(shape->dim(2).dim_value()) +
                          "; export the model at the size you want");
      if (dynamic) {
        shape->mutable_dim(0)->set_dim_value(1);
        shape->mutable_dim(2)->set_dim_value(height);
        shape->mutable_dim(3)->set_dim_value(width);
      }
      if (!shape->dim(0).has_dim_value()) shape->mutable_dim(0)->set_dim_value(1);
    }
    if (real_inputs != 1)
      return make_error("expected one image input, found " + std::to_string(real_inputs));
    return Ok{};
  }

  // Replaces a node computable from constants (or from static shapes) by its value.
  bool fold(const onnx::NodeProto& n) {
    if (n.op_type() == "Constant") {
      const auto* v = attr(n, "value");
      if (!v || !v->has_t()) return false;
      auto t = to_tensor(v->t());
      if (!t) return false;
      consts_[n.output(0)] = *t;
      return true;
    }
    if (n.op_type() == "Shape") {
      const auto it = shapes_.find(n.input(0));
      if (it == shapes_.end() || it->second.empty()) return false;
      consts_[n.output(0)] = ints(it->second);
      return true;
    }
    std::vector<const Tensor*> in;
    for (const auto& name : n.input()) {
      if (name.empty()) continue;
      const auto it = consts_.find(name);
      if (it == consts_.end()) return false;
      in.push_back(&it->second);
    }
    if (in.empty() || n.output_size() != 1) return false;
    auto r = evaluate(n, in);
    if (!r) return false;
    consts_[n.output(0)] = std::move(*r);
    return true;
  }

  std::string constant(const Tensor& t, const std::string& hint) {
    const std::string name = hint + "_la3d_" + std::to_string(counter_++);
    consts_[name] = t;
    return name;
  }

  Status split_to_slices(const onnx::NodeProto& n,
                         google::protobuf::RepeatedPtrField<onnx::NodeProto>& out) {
    const auto shape = shapes_[n.input(0)];
    if (shape.empty()) return make_error("Split " + n.name() + ": input shape unknown");
    const auto* a = attr(n, "axis");
    int64_t axis = a ? a->i() : 0;
    if (axis < 0) axis += int64_t(shape.size());
    std::vector<int64_t> sizes;
    if (n.input_size() > 1 && !n.input(1).empty()) {
      const auto it = consts_.find(n.input(1));
      if (it == consts_.end()) return make_error("Split " + n.name() + ": sizes are not constant");
      for (int64_t k = 0; k < it->second.size(); ++k) sizes.push_back(int64_t(it->second.at(k)));
    } else if (const auto* s = attr(n, "split")) {
      sizes.assign(s->ints().begin(), s->ints().end());
    } else {
      sizes.assign(n.output_size(), shape[axis] / n.output_size());
    }
    int64_t start = 0;
    for (int k = 0; k < n.output_size(); ++k) {
      onnx::NodeProto* s = out.Add();
      s->set_op_type("Slice");
      s->set_name(n.name() + "_slice" + std::to_string(k));
      s->add_input(n.input(0));
      s->add_input(constant(ints({start}), "starts"));
      s->add_input(constant(ints({start + sizes[k]}), "ends"));
      s->add_input(constant(ints({axis}), "axes"));
      s->add_output(n.output(k));
      start += sizes[k];
    }
    return Ok{};
  }

  // OpenCV 4.6 broadcasts a constant operand only as a scalar or per channel: give any other
  // constant (e.g. the [1,N] anchor strides against [1,4,N] boxes) the full shape of the result.
  void expand_broadcast_constant(onnx::NodeProto& n) {
    static const std::set<std::string> kBinary{"Add", "Sub", "Mul", "Div"};
    if (!kBinary.contains(n.op_type()) || n.input_size() != 2) return;
    const auto out_shape = shapes_[n.output(0)];
    if (out_shape.empty()) return;
    for (int k = 0; k < 2; ++k) {
      const auto it = consts_.find(n.input(k));
      if (it == consts_.end() || it->second.size() == 1 || it->second.shape == out_shape) continue;
      const Tensor& c = it->second;
      const bool per_channel = c.shape.size() == out_shape.size() && out_shape.size() == 4 &&
                               c.shape[0] == 1 && c.shape[1] == out_shape[1] && c.shape[2] == 1 &&
                               c.shape[3] == 1;
      if (per_channel) continue;
      Tensor zeros;
      zeros.is_float = c.is_float;
      zeros.shape = out_shape;
      if (zeros.is_float)
        zeros.f.assign(zeros.size(), 0.f);
      else
        zeros.i.assign(zeros.size(), 0);
      if (zeros.size() > (1 << 22)) continue;  // too large to spell out; leave it to OpenCV
      n.set_input(k, constant(models::fold_binary(zeros, c, std::plus<double>()), n.input(k)));
    }
  }

  onnx::ModelProto& m_;
  onnx::GraphProto& g_;
  std::map<std::string, Tensor> consts_;
  std::map<std::string, std::vector<int64_t>> shapes_;
  int counter_ = 0;
};

}  // namespace

Result<OnnxModel> import_onnx_for_opencv(const std::filesystem::path& path, int width, int height) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("cannot read " + path.string());
  onnx::ModelProto m;
  if (!m.ParseFromIstream(&in)) return make_error(path.string() + " is not an ONNX model");
  try {
    if (Status s = Importer(m).run(width, height); !s)
      return make_error(path.filename().string() + ": " + s.error().message);
  } catch (const std::exception& e) {
    return make_error("cannot import " + path.string() + ": " + e.what());
  }
  OnnxModel out;
  const auto& g = m.graph();
  std::set<std::string> inits;
  for (const auto& i : g.initializer()) inits.insert(i.name());
  for (const auto& i : g.input())
    if (!inits.contains(i.name())) {
      out.input_names.push_back(i.name());
      out.input_shapes.push_back(static_shape(i.type()));
    }
  for (const auto& o : g.output()) {
    out.output_names.push_back(o.name());
    out.output_shapes.push_back(static_shape(o.type()));
  }
  out.node_count = g.node_size();
  m.SerializeToString(&out.bytes);
  return out;
}

}  // namespace la3d

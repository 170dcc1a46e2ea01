// TF.js graph -> ONNX. Each TF tensor keeps its TF shape and a layout permutation `perm`: the ONNX
// value holds transpose(tf_tensor, perm). NHWC ops (convolutions, pooling, resizing) want NCHW
// storage, so their tensors live as perm {0,3,1,2}; a TF Transpose then only changes the
// permutation, and the transposes onnx-tf wrapped around every op compose away instead of
// becoming Permute layers.
#include <onnx/onnx_pb.h>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <numeric>
#include <optional>
#include <set>
#include <stdexcept>

#include "la3d/models/models.hpp"
#include "tfjs_graph.hpp"

namespace la3d {
namespace {

using models::Tensor;
using models::TfGraph;
using models::TfNode;
using Perm = std::vector<int>;
using Shape = std::vector<int64_t>;

const Perm kNchw{0, 3, 1, 2};

Perm identity(size_t rank) {
  Perm p(rank);
  std::iota(p.begin(), p.end(), 0);
  return p;
}
Perm inverse(const Perm& p) {
  Perm inv(p.size());
  for (size_t k = 0; k < p.size(); ++k) inv[p[k]] = int(k);
  return inv;
}
std::string str(const Shape& s) {
  std::string out = "[";
  for (size_t k = 0; k < s.size(); ++k) {
    if (k) out += ',';  // appended piecewise: g++ 12 warns falsely (-Wrestrict) on "," + string
    out += std::to_string(s[k]);
  }
  return out + "]";
}

struct Value;
// A node's inputs. A graph from a file may give a node fewer inputs than its op needs; reading past
// them is an error the converter reports (its caller catches), never a read past the vector.
struct Inputs : std::vector<Value*> {
  using std::vector<Value*>::vector;
  Value* operator[](size_t k) const {
    if (k >= size()) throw std::runtime_error("a node has fewer inputs than its op needs");
    return std::vector<Value*>::operator[](k);
  }
};

struct Value {
  std::string onnx;  // empty for constants until they are materialised
  Shape shape;       // TF semantics
  Perm perm;
  std::optional<Tensor> constant;
  bool is_const() const { return constant.has_value(); }
};

const onnx::TensorProto* find_initializer(const onnx::GraphProto& g, const std::string& name) {
  for (const auto& t : g.initializer())
    if (t.name() == name) return &t;
  return nullptr;
}

std::vector<float> float_values(const onnx::TensorProto& t) {
  std::vector<float> v(t.raw_data().size() / sizeof(float));
  if (!v.empty()) std::memcpy(v.data(), t.raw_data().data(), v.size() * sizeof(float));
  return v;
}

// Peephole pass (numerically exact): a zero constant Pad on the spatial axes that feeds only a
// Conv becomes the Conv's pads, and a per-channel constant Add after a bias-less Conv that feeds
// only it becomes the bias. onnx-tf graphs pad and add bias as separate ops; OpenCV runs them as
// separate layers (measured: about a quarter of NanoDet's time).
void fold_into_conv(onnx::GraphProto& g) {
  std::map<std::string, int> uses;
  for (const auto& n : g.node())
    for (const auto& in : n.input()) ++uses[in];
  for (const auto& o : g.output()) ++uses[o.name()];
  std::map<std::string, int> producer;
  for (int k = 0; k < g.node_size(); ++k)
    for (const auto& out : g.node(k).output()) producer[out] = k;
  std::set<int> dead;
  for (int k = 0; k < g.node_size(); ++k) {
    onnx::NodeProto& conv = *g.mutable_node(k);
    if (conv.op_type() != "Conv") continue;
    // Pad -> Conv
    if (auto p = producer.find(conv.input(0)); p != producer.end() && !dead.contains(p->second)) {
      const onnx::NodeProto& pad = g.node(p->second);
      const auto* pads = pad.op_type() == "Pad" ? find_initializer(g, pad.input(1)) : nullptr;
      const auto* value = pad.op_type() == "Pad" && pad.input_size() > 2
                              ? find_initializer(g, pad.input(2))
                              : nullptr;
      if (pads && uses[pad.output(0)] == 1 &&
          (!value || float_values(*value) == std::vector<float>{0.f})) {
        std::vector<int64_t> pv(pads->raw_data().size() / 8);
        if (!pv.empty()) std::memcpy(pv.data(), pads->raw_data().data(), pv.size() * 8);
        if (pv.size() == 8 && pv[0] == 0 && pv[1] == 0 && pv[4] == 0 && pv[5] == 0) {
          for (auto& a : *conv.mutable_attribute())
            if (a.name() == "pads") {
              a.set_ints(0, a.ints(0) + pv[2]);
              a.set_ints(1, a.ints(1) + pv[3]);
              a.set_ints(2, a.ints(2) + pv[6]);
              a.set_ints(3, a.ints(3) + pv[7]);
            }
          conv.set_input(0, pad.input(0));
          dead.insert(p->second);
        }
      }
    }
    // Conv -> Add(bias)
    if (conv.input_size() != 2 || uses[conv.output(0)] != 1) continue;
    for (int j = k + 1; j < g.node_size(); ++j) {
      onnx::NodeProto& add = *g.mutable_node(j);
      if (dead.contains(j) || add.op_type() != "Add" || add.input(0) != conv.output(0)) continue;
      const auto* bias = find_initializer(g, add.input(1));
      const auto* weight = find_initializer(g, conv.input(1));
      if (!bias || !weight || bias->data_type() != onnx::TensorProto::FLOAT) break;
      int64_t channels = 1;
      for (int d = 0; d < bias->dims_size(); ++d) channels *= bias->dims(d);
      const bool per_channel =
          bias->dims_size() == 4 && bias->dims(0) == 1 && bias->dims(2) == 1 && bias->dims(3) == 1;
      if (!per_channel || channels != weight->dims(0)) break;
      conv.add_input(add.input(1));
      conv.set_output(0, add.output(0));
      dead.insert(j);
      break;
    }
  }
  google::protobuf::RepeatedPtrField<onnx::NodeProto> kept;
  for (int k = 0; k < g.node_size(); ++k)
    if (!dead.contains(k)) *kept.Add() = g.node(k);
  g.mutable_node()->Swap(&kept);
}

// Where a graph was built for one input size, its constant sizes (Resize targets, Reshape shapes)
// are re-derived for another from the shapes of a first conversion at the original size.
struct SizeOverride {
  Shape input;                                     // the new input shape, the model's layout
  const std::map<std::string, Shape>* original{};  // every tensor's shape at the original size
};

// A Reshape's target for a new input shape, by aligning the original input and output dims into
// groups of equal product: a group merged into one dim takes the product of its new dims; a group
// split into several must not have changed. Empty when the reshape cannot be carried over.
Shape remap_reshape(const Shape& in0, const Shape& in1, const Shape& out0) {
  if (in0.size() != in1.size()) return {};
  Shape out;
  size_t i = 0, k = 0;
  while (k < out0.size()) {
    const size_t i0 = i, k0 = k;
    int64_t pi = i < in0.size() ? in0[i++] : 1, po = out0[k];
    while (pi != po) {
      if (pi < po && i < in0.size())
        pi *= in0[i++];
      else if (po < pi && k + 1 < out0.size())
        po *= out0[++k];
      else
        return {};
    }
    int64_t p1 = 1, p0 = 1;
    for (size_t j = i0; j < i; ++j) p1 *= in1[j], p0 *= in0[j];
    if (k == k0) {
      out.push_back(p1);
    } else {
      if (p1 != p0) return {};
      out.insert(out.end(), out0.begin() + k0, out0.begin() + k + 1);
    }
    ++k;
  }
  for (; i < in0.size(); ++i)
    if (in0[i] != 1 || in1[i] != 1) return {};
  return out;
}

class Converter {
 public:
  explicit Converter(const TfGraph& g, SizeOverride size = {}) : g_(g), size_(std::move(size)) {}

  // Every tensor converted so far, with its shape (TF semantics).
  std::map<std::string, Shape> shapes() const {
    std::map<std::string, Shape> out;
    for (const auto& [name, v] : values_) out[name] = v.shape;
    return out;
  }

  Result<OnnxModel> run(const std::vector<std::string>& outputs) {
    model_.set_ir_version(6);
    model_.set_producer_name("la3d");
    auto* opset = model_.add_opset_import();
    opset->set_domain("");
    opset->set_version(11);
    graph_ = model_.mutable_graph();
    graph_->set_name("la3d_tfjs");
    OnnxModel out;
    for (const std::string& name : outputs) {
      auto v = value(name);
      if (!v) return v.error();
      if (v.value()->is_const()) return make_error("output " + name + " is a constant");
      const std::string stored_name = stored(*v.value(), identity(v.value()->shape.size()));
      const std::string out_name = onnx_safe(name);
      add_node("Identity", {stored_name}, {out_name});
      add_value_info(graph_->add_output(), out_name, v.value()->shape);
      out.output_names.push_back(out_name);
      out.output_shapes.push_back(v.value()->shape);
    }
    for (const auto& [name, shape] : inputs_) {
      out.input_names.push_back(name);
      out.input_shapes.push_back(shape);
    }
    fold_into_conv(*graph_);
    out.node_count = graph_->node_size();
    for (const auto& n : graph_->node()) out.transpose_count += n.op_type() == "Transpose";
    model_.SerializeToString(&out.bytes);
    return out;
  }

 private:
  // --- values ---
  Result<Value*> value(const std::string& tensor) {
    if (auto it = values_.find(tensor); it != values_.end()) return &it->second;
    const auto colon = tensor.rfind(':');
    const std::string node_name = colon == std::string::npos ? tensor : tensor.substr(0, colon);
    const auto node = g_.nodes.find(node_name);
    if (node == g_.nodes.end()) return make_error("graph has no node '" + node_name + "'");
    if (!visiting_.insert(node_name).second)
      return make_error("graph has a cycle at '" + node_name + "'");
    Status s = convert(node->second);
    visiting_.erase(node_name);
    if (!s) return s.error();
    if (auto it = values_.find(tensor); it != values_.end()) return &it->second;
    return make_error("node '" + node_name + "' has no output '" + tensor + "'");
  }

  Result<Inputs> inputs(const TfNode& n) {
    Inputs out;
    for (const std::string& in : n.inputs) {
      auto v = value(in);
      if (!v) return v.error();
      out.push_back(v.value());
    }
    return out;
  }

  Result<Tensor> const_input(const TfNode& n, size_t k) {
    if (k >= n.inputs.size())
      return make_error(n.op + " " + n.name + ": missing input " + std::to_string(k));
    auto v = value(n.inputs[k]);
    if (!v) return v.error();
    if (!v.value()->is_const())
      return make_error(n.op + " " + n.name + ": input " + std::to_string(k) + " must be constant");
    return *v.value()->constant;
  }

  void set_const(const std::string& name, Tensor t) {
    Value v;
    v.shape = t.shape;
    v.perm = identity(t.shape.size());
    v.constant = std::move(t);
    values_[name] = std::move(v);
  }

  Value& set_dynamic(const std::string& name, std::string onnx, Shape shape, Perm perm) {
    Value v;
    v.onnx = std::move(onnx);
    v.shape = std::move(shape);
    v.perm = std::move(perm);
    return values_[name] = std::move(v);
  }

  // The ONNX name of `v` stored with permutation `target`, transposing (once, cached) if needed.
  std::string stored(Value& v, const Perm& target) {
    if (v.is_const()) {
      Tensor t = v.constant->shape.size() == target.size() ? models::transpose(*v.constant, target)
                                                           : *v.constant;
      return initializer(t, "const");
    }
    if (v.perm == target) return v.onnx;
    const std::string key = v.onnx + "|" + str(Shape(target.begin(), target.end()));
    if (auto it = transposed_.find(key); it != transposed_.end()) return it->second;
    const Perm inv = inverse(v.perm);
    std::vector<int64_t> q(target.size());
    for (size_t k = 0; k < target.size(); ++k) q[k] = inv[target[k]];
    const std::string out = fresh("transpose");
    auto* node = add_node("Transpose", {v.onnx}, {out});
    attr_ints(node, "perm", q);
    return transposed_[key] = out;
  }

  // A constant operand of an elementwise op with a `rank`-d tensor stored as `perm`.
  std::string broadcast_const(const Tensor& t, size_t rank, const Perm& perm) {
    Shape s = t.shape;
    if (s.size() < rank) s.insert(s.begin(), rank - s.size(), 1);
    return initializer(models::transpose(models::reshape(t, s), perm), "const");
  }

  // --- ONNX emission ---
  std::string fresh(const std::string& hint) { return hint + "_" + std::to_string(counter_++); }
  static std::string onnx_safe(std::string s) {
    for (char& c : s)
      if (c == ':' || c == '/') c = '_';
    return s;
  }

  std::string initializer(const Tensor& t, const std::string& hint) {
    auto* init = graph_->add_initializer();
    const std::string name = fresh(hint);
    init->set_name(name);
    for (int64_t d : t.shape) init->add_dims(d);
    if (t.is_float) {
      init->set_data_type(onnx::TensorProto::FLOAT);
      init->set_raw_data(
          std::string(reinterpret_cast<const char*>(t.f.data()), t.f.size() * sizeof(float)));
    } else {
      init->set_data_type(onnx::TensorProto::INT64);
      init->set_raw_data(
          std::string(reinterpret_cast<const char*>(t.i.data()), t.i.size() * sizeof(int64_t)));
    }
    return name;
  }
  std::string int_initializer(const std::vector<int64_t>& v) {
    Tensor t;
    t.is_float = false;
    t.shape = {int64_t(v.size())};
    t.i = v;
    return initializer(t, "ints");
  }
  std::string float_initializer(std::vector<float> v, Shape shape) {
    Tensor t;
    t.shape = std::move(shape);
    t.f = std::move(v);
    return initializer(t, "floats");
  }

  onnx::NodeProto* add_node(const std::string& op, const std::vector<std::string>& in,
                            const std::vector<std::string>& out) {
    auto* n = graph_->add_node();
    n->set_op_type(op);
    n->set_name(fresh(op));
    for (const auto& s : in) n->add_input(s);
    for (const auto& s : out) n->add_output(s);
    return n;
  }
  static void attr_ints(onnx::NodeProto* n, const std::string& name,
                        const std::vector<int64_t>& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
  }
  static void attr_int(onnx::NodeProto* n, const std::string& name, int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void attr_float(onnx::NodeProto* n, const std::string& name, float v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }
  static void attr_string(onnx::NodeProto* n, const std::string& name, const std::string& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v);
  }
  static void add_value_info(onnx::ValueInfoProto* vi, const std::string& name,
                             const Shape& shape) {
    vi->set_name(name);
    auto* t = vi->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    for (int64_t d : shape) t->mutable_shape()->add_dim()->set_dim_value(d);
  }

  // --- TF attributes ---
  static std::string attr_s(const TfNode& n, const std::string& k) {
    if (!n.attr.contains(k) || !n.attr[k].contains("s")) return "";
    return models::base64_decode(n.attr[k]["s"].get<std::string>());
  }
  static std::vector<int64_t> attr_list_i(const TfNode& n, const std::string& k) {
    std::vector<int64_t> out;
    if (!n.attr.contains(k) || !n.attr[k].contains("list") || !n.attr[k]["list"].contains("i"))
      return out;
    for (const auto& v : n.attr[k]["list"]["i"]) out.push_back(std::stoll(v.get<std::string>()));
    return out;
  }
  static std::vector<std::string> attr_list_s(const TfNode& n, const std::string& k) {
    std::vector<std::string> out;
    if (!n.attr.contains(k) || !n.attr[k].contains("list") || !n.attr[k]["list"].contains("s"))
      return out;
    for (const auto& v : n.attr[k]["list"]["s"])
      out.push_back(models::base64_decode(v.get<std::string>()));
    return out;
  }
  static double attr_f(const TfNode& n, const std::string& k, double def) {
    if (!n.attr.contains(k) || !n.attr[k].contains("f")) return def;
    return n.attr[k]["f"].get<double>();
  }
  static bool attr_b(const TfNode& n, const std::string& k) {
    return n.attr.contains(k) && n.attr[k].contains("b") && n.attr[k]["b"].get<bool>();
  }
  static int64_t attr_i(const TfNode& n, const std::string& k, int64_t def) {
    if (!n.attr.contains(k) || !n.attr[k].contains("i")) return def;
    const auto& v = n.attr[k]["i"];
    if (!v.is_string() && !v.is_number_integer())  // a float would be cast: undefined past int64
      throw std::runtime_error("attribute '" + k + "' is not an integer");
    return v.is_string() ? std::stoll(v.get<std::string>()) : v.get<int64_t>();
  }

  // TF's SAME padding: the extra pixel goes at the end.
  static std::pair<int64_t, int64_t> same_pads(int64_t in, int64_t k, int64_t s, int64_t d) {
    const int64_t out = (in + s - 1) / s;
    const int64_t total = std::max<int64_t>((out - 1) * s + (k - 1) * d + 1 - in, 0);
    return {total / 2, total - total / 2};
  }

  // Pads [top, left, bottom, right] and output size of an NHWC window op.
  struct Window {
    std::vector<int64_t> pads;
    int64_t oh, ow;
  };
  Result<Window> window(const TfNode& n, const Shape& in, int64_t kh, int64_t kw, int64_t sh,
                        int64_t sw, int64_t dh, int64_t dw) {
    const std::string padding = attr_s(n, "padding");
    Window w;
    if (padding == "SAME") {
      const auto [t, b] = same_pads(in[1], kh, sh, dh);
      const auto [l, r] = same_pads(in[2], kw, sw, dw);
      w.pads = {t, l, b, r};
    } else if (padding == "VALID") {
      w.pads = {0, 0, 0, 0};
    } else if (padding == "EXPLICIT") {
      const auto e = attr_list_i(n, "explicit_paddings");
      if (e.size() != 8) return make_error(n.name + ": bad explicit_paddings");
      w.pads = {e[2], e[4], e[3], e[5]};
    } else {
      return make_error(n.name + ": unknown padding '" + padding + "'");
    }
    w.oh = (in[1] + w.pads[0] + w.pads[2] - ((kh - 1) * dh + 1)) / sh + 1;
    w.ow = (in[2] + w.pads[1] + w.pads[3] - ((kw - 1) * dw + 1)) / sw + 1;
    return w;
  }

  Status require_nhwc(const TfNode& n, const Value& x) {
    if (attr_s(n, "data_format").empty() || attr_s(n, "data_format") == "NHWC") {
      if (x.shape.size() != 4) return make_error(n.op + " " + n.name + ": input is not 4-d");
      return Ok{};
    }
    return make_error(n.op + " " + n.name + ": data_format " + attr_s(n, "data_format") +
                      " is not supported");
  }

  // --- ops ---
  // One handler per TF op (op_table); convert() looks the node's op up and calls it.
  using OpHandler = Status (Converter::*)(const TfNode& n, const Inputs& in);
  static const std::map<std::string_view, OpHandler>& op_table();
  static bool all_const(const Inputs& in) {
    return std::all_of(in.begin(), in.end(), [](const Value* v) { return v->is_const(); });
  }
  Status convert(const TfNode& n);
  Status convert_const(const TfNode& n);
  Status convert_placeholder(const TfNode& n);
  Status convert_identity(const TfNode& n, const Inputs& in);
  Status convert_sparse_to_dense(const TfNode& n, const Inputs& in);
  Status convert_cast(const TfNode& n, const Inputs& in);
  Status convert_transpose(const TfNode& n, const Inputs& in);
  Status convert_activation_op(const TfNode& n, const Inputs& in);
  Status convert_pool_op(const TfNode& n, const Inputs& in);
  Status convert_mean(const TfNode& n, const Inputs& in);
  Status convert_softmax(const TfNode& n, const Inputs& in);
  Status convert_split_v(const TfNode& n, const Inputs& in);
  Status convert_split_op(const TfNode& n, const Inputs& in);
  Status convert_reshape(const TfNode& n, const Inputs& in);
  Status convert_conv(const TfNode& n, const Inputs& in);
  Status convert_elementwise(const TfNode& n, const Inputs& in);
  // Appends activation `act` after the value named `out`, and renames `out` to its result.
  Status convert_activation(const std::string& act, const TfNode& n, std::string& out);
  Status convert_pool(const TfNode& n, Value& x);
  Status convert_resize(const TfNode& n, const Inputs& in);
  Status convert_concat(const TfNode& n, const Inputs& in);
  Status convert_split(const TfNode& n, Value& x, const Tensor& sizes, int64_t axis);
  Status convert_pad(const TfNode& n, const Inputs& in);
  Status convert_conv_transpose(const TfNode& n, const Inputs& in);
  Status convert_matmul(const TfNode& n, const Inputs& in);
  // The fused ops of a _Fused* node: a BiasAdd's constant (TF input 2) is appended to `inputs`,
  // the activations to apply after the node are returned in order.
  Result<std::vector<std::string>> fused_ops(const TfNode& n, std::vector<std::string>& inputs) {
    std::vector<std::string> activations;
    size_t next_arg = 2;
    for (const std::string& fo : attr_list_s(n, "fused_ops")) {
      if (fo == "BiasAdd") {
        auto bias = const_input(n, next_arg++);
        if (!bias) return bias.error();
        inputs.push_back(initializer(bias.value(), "bias"));
      } else {
        activations.push_back(fo);
      }
    }
    return activations;
  }

  const TfGraph& g_;
  onnx::ModelProto model_;
  onnx::GraphProto* graph_ = nullptr;
  std::map<std::string, Value> values_;
  std::map<std::string, std::string> transposed_;
  SizeOverride size_;

  // The original shape of `tensor` ("node" means "node:0"); nullptr without an override.
  const Shape* original_shape(const std::string& tensor) const {
    if (!size_.original) return nullptr;
    auto it = size_.original->find(tensor);
    if (it == size_.original->end() && tensor.ends_with(":0"))
      it = size_.original->find(tensor.substr(0, tensor.size() - 2));
    return it == size_.original->end() ? nullptr : &it->second;
  }
  std::set<std::string> visiting_;
  std::vector<std::pair<std::string, Shape>> inputs_;
  int counter_ = 0;
};

// Ops without TF inputs: constants and the graph's inputs.
Status Converter::convert_const(const TfNode& n) {
  auto w = g_.weights.find(n.name);
  if (w != g_.weights.end()) {
    set_const(n.name, w->second);
    return Ok{};
  }
  // A constant without stored data is empty (a dimension of unknown size counts as 0).
  Tensor t;
  t.is_float =
      n.attr.value("dtype", nlohmann::json::object()).value("type", "DT_FLOAT") == "DT_FLOAT";
  t.shape = {0};
  set_const(n.name, t);
  return Ok{};
}

Status Converter::convert_placeholder(const TfNode& n) {
  Shape shape;
  if (n.attr.contains("shape") && n.attr["shape"].contains("shape") &&
      n.attr["shape"]["shape"].contains("dim"))
    for (const auto& d : n.attr["shape"]["shape"]["dim"]) {
      const int64_t v = std::stoll(d.value("size", "-1"));
      shape.push_back(v < 0 ? 1 : v);  // a free batch is 1
    }
  if (!size_.input.empty()) {
    if (size_.input.size() != shape.size())
      return make_error("input " + n.name + " has rank " + std::to_string(shape.size()) +
                        ", the requested size another");
    shape = size_.input;
  }
  const std::string name = onnx_safe(n.name);
  add_value_info(graph_->add_input(), name, shape);
  inputs_.push_back({name, shape});
  set_dynamic(n.name, name, shape, identity(shape.size()));
  return Ok{};
}

Status Converter::convert_identity(const TfNode& n, const Inputs& in) {
  values_[n.name] = *in.at(0);
  return Ok{};
}

Status Converter::convert_sparse_to_dense(const TfNode& n, const Inputs& in) {
  if (in.size() != 4 || !all_const(in))
    return make_error("SparseToDense " + n.name + ": needs four constant inputs");
  const Tensor &idx = *in[0]->constant, &shape = *in[1]->constant, &vals = *in[2]->constant;
  Tensor out;
  out.is_float = in[3]->constant->is_float;
  for (int64_t k = 0; k < shape.size(); ++k) out.shape.push_back(int64_t(shape.at(k)));
  const double def = in[3]->constant->size() ? in[3]->constant->at(0) : 0.0;
  if (out.is_float)
    out.f.assign(out.size(), float(def));
  else
    out.i.assign(out.size(), int64_t(def));
  if (out.shape.size() != 1 && idx.size() > 0)
    return make_error(n.name + ": SparseToDense beyond 1-d");
  for (int64_t k = 0; k < idx.size(); ++k) {
    const double v = vals.size() == 1 ? vals.at(0) : vals.at(k);
    if (out.is_float)
      out.f[int64_t(idx.at(k))] = float(v);
    else
      out.i[int64_t(idx.at(k))] = int64_t(v);
  }
  set_const(n.name, std::move(out));
  return Ok{};
}

Status Converter::convert_cast(const TfNode& n, const Inputs& in) {
  if (in.empty() || !all_const(in))
    return make_error("Cast " + n.name + " of a computed tensor is not supported");
  Tensor t = *in[0]->constant;
  const std::string to = n.attr.value("DstT", nlohmann::json::object()).value("type", "DT_FLOAT");
  const bool to_float = to == "DT_FLOAT" || to == "DT_HALF" || to == "DT_DOUBLE";
  if (to_float && !t.is_float) {
    t.f.assign(t.i.begin(), t.i.end());
    t.i.clear();
  } else if (!to_float && t.is_float) {
    for (float v : t.f) t.i.push_back(int64_t(v));
    t.f.clear();
  }
  t.is_float = to_float;
  set_const(n.name, std::move(t));
  return Ok{};
}

Status Converter::convert_transpose(const TfNode& n, const Inputs& in) {
  auto p = const_input(n, 1);
  if (!p) return p.error();
  Perm perm;
  for (int64_t k = 0; k < p->size(); ++k) perm.push_back(int(p->at(k)));
  if (in[0]->is_const()) {
    set_const(n.name, models::transpose(*in[0]->constant, perm));
    return Ok{};
  }
  // No node: only the permutation between the TF tensor and its storage changes.
  const Perm pinv = inverse(perm);
  Perm q(perm.size());
  for (size_t j = 0; j < perm.size(); ++j) q[j] = pinv[in[0]->perm[j]];
  Shape shape(perm.size());
  for (size_t k = 0; k < perm.size(); ++k) shape[k] = in[0]->shape[perm[k]];
  set_dynamic(n.name, in[0]->onnx, shape, q);
  return Ok{};
}

Status Converter::convert_activation_op(const TfNode& n, const Inputs& in) {
  if (in[0]->is_const()) return make_error(n.op + " " + n.name + " on a constant is not supported");
  std::string out = in[0]->onnx;
  if (Status s = convert_activation(n.op, n, out); !s) return s;
  set_dynamic(n.name, out, in[0]->shape, in[0]->perm);
  return Ok{};
}

Status Converter::convert_pool_op(const TfNode& n, const Inputs& in) {
  return convert_pool(n, *in[0]);
}

Status Converter::convert_mean(const TfNode& n, const Inputs& in) {
  auto axes = const_input(n, 1);
  if (!axes) return axes.error();
  std::set<int64_t> ax;
  for (int64_t k = 0; k < axes->size(); ++k) ax.insert((int64_t(axes->at(k)) + 4) % 4);
  if (in[0]->shape.size() != 4 || ax != std::set<int64_t>{1, 2})
    return make_error("Mean " + n.name + ": only the spatial mean of a 4-d tensor is supported");
  const std::string out = fresh("gap");
  add_node("GlobalAveragePool", {stored(*in[0], kNchw)}, {out});
  Shape shape = in[0]->shape;
  shape[1] = shape[2] = 1;
  if (attr_b(n, "keep_dims")) {
    set_dynamic(n.name, out, shape, kNchw);
    return Ok{};
  }
  // Without keep_dims the pooled [N, C, 1, 1] becomes [N, C] (an embedding head's input).
  const std::string flat = fresh("flatten");
  attr_int(add_node("Flatten", {out}, {flat}), "axis", 1);
  set_dynamic(n.name, flat, {shape[0], shape[3]}, identity(2));
  return Ok{};
}

Status Converter::convert_softmax(const TfNode& n, const Inputs& in) {
  // TF's softmax is over the last axis; only [N, C] (classifier heads) is needed so far.
  if (in[0]->is_const() || in[0]->shape.size() != 2)
    return make_error("Softmax " + n.name + ": only a 2-d [N, C] input is supported");
  const std::string out = fresh("softmax");
  attr_int(add_node("Softmax", {stored(*in[0], identity(2))}, {out}), "axis", 1);
  set_dynamic(n.name, out, in[0]->shape, identity(2));
  return Ok{};
}

Status Converter::convert_split_v(const TfNode& n, const Inputs& in) {
  auto sizes = const_input(n, 1);
  auto axis = const_input(n, 2);
  if (!sizes) return sizes.error();
  if (!axis) return axis.error();
  return convert_split(n, *in[0], sizes.value(), int64_t(axis->at(0)));
}

Status Converter::convert_split_op(const TfNode& n, const Inputs& in) {
  auto axis = const_input(n, 0);
  if (!axis) return axis.error();
  const int64_t a = (int64_t(axis->at(0)) + in[1]->shape.size()) % in[1]->shape.size();
  const int64_t parts = attr_i(n, "num_split", 1);
  Tensor sizes;
  sizes.is_float = false;
  sizes.shape = {parts};
  sizes.i.assign(parts, in[1]->shape[a] / parts);
  return convert_split(n, *in[1], sizes, a);
}

Status Converter::convert_reshape(const TfNode& n, const Inputs& in) {
  auto target = const_input(n, 1);
  if (!target) return target.error();
  const int64_t total =
      std::accumulate(in[0]->shape.begin(), in[0]->shape.end(), int64_t(1), std::multiplies<>());
  Shape shape;
  int64_t known = 1, free_axis = -1;
  for (int64_t k = 0; k < target->size(); ++k) {
    shape.push_back(int64_t(target->at(k)));
    if (shape.back() == -1)
      free_axis = k;
    else
      known *= shape.back();
  }
  if (free_axis >= 0) shape[free_axis] = known ? total / known : 0;
  const Shape *in0 = original_shape(n.inputs[0]), *out0 = original_shape(n.name);
  if (in0 && out0 && *in0 != in[0]->shape) {
    shape = remap_reshape(*in0, in[0]->shape, *out0);
    if (shape.empty())
      return make_error(n.name + ": this reshape cannot follow a change of input size");
  }
  if (in[0]->is_const()) {
    set_const(n.name, models::reshape(*in[0]->constant, shape));
    return Ok{};
  }
  const std::string out = fresh("reshape");
  add_node("Reshape", {stored(*in[0], identity(in[0]->shape.size())), int_initializer(shape)},
           {out});
  set_dynamic(n.name, out, shape, identity(shape.size()));
  return Ok{};
}

// Every TF op the converter reads, and the handler that writes its ONNX nodes.
const std::map<std::string_view, Converter::OpHandler>& Converter::op_table() {
  static const std::map<std::string_view, OpHandler> table{
      {"Identity", &Converter::convert_identity},
      {"StopGradient", &Converter::convert_identity},
      {"Snapshot", &Converter::convert_identity},
      {"SparseToDense", &Converter::convert_sparse_to_dense},
      {"Cast", &Converter::convert_cast},
      {"Transpose", &Converter::convert_transpose},
      {"Add", &Converter::convert_elementwise},
      {"AddV2", &Converter::convert_elementwise},
      {"BiasAdd", &Converter::convert_elementwise},
      {"Sub", &Converter::convert_elementwise},
      {"Mul", &Converter::convert_elementwise},
      {"RealDiv", &Converter::convert_elementwise},
      {"Maximum", &Converter::convert_elementwise},
      {"Minimum", &Converter::convert_elementwise},
      {"AddN", &Converter::convert_elementwise},
      {"Relu", &Converter::convert_activation_op},
      {"Relu6", &Converter::convert_activation_op},
      {"Sigmoid", &Converter::convert_activation_op},
      {"LeakyRelu", &Converter::convert_activation_op},
      {"Tanh", &Converter::convert_activation_op},
      {"Elu", &Converter::convert_activation_op},
      {"Conv2D", &Converter::convert_conv},
      {"_FusedConv2D", &Converter::convert_conv},
      {"DepthwiseConv2dNative", &Converter::convert_conv},
      {"FusedDepthwiseConv2dNative", &Converter::convert_conv},
      {"Conv2DBackpropInput", &Converter::convert_conv_transpose},
      {"MaxPool", &Converter::convert_pool_op},
      {"AvgPool", &Converter::convert_pool_op},
      {"Mean", &Converter::convert_mean},
      {"MatMul", &Converter::convert_matmul},
      {"_FusedMatMul", &Converter::convert_matmul},
      {"Softmax", &Converter::convert_softmax},
      {"ResizeBilinear", &Converter::convert_resize},
      {"ResizeNearestNeighbor", &Converter::convert_resize},
      {"ConcatV2", &Converter::convert_concat},
      {"SplitV", &Converter::convert_split_v},
      {"Split", &Converter::convert_split_op},
      {"Pad", &Converter::convert_pad},
      {"PadV2", &Converter::convert_pad},
      {"Reshape", &Converter::convert_reshape},
  };
  return table;
}

Status Converter::convert(const TfNode& n) {
  if (n.op == "Const") return convert_const(n);
  if (n.op == "Placeholder") return convert_placeholder(n);
  const auto handler = op_table().find(n.op);
  if (handler == op_table().end())
    return make_error("unsupported TF op " + n.op + " (node " + n.name + ")");
  auto in = inputs(n);
  if (!in) return in.error();
  return (this->*handler->second)(n, in.value());
}

Status Converter::convert_activation(const std::string& act, const TfNode& n, std::string& out) {
  const std::string in = out;
  out = fresh(act);
  if (act == "Relu") {
    add_node("Relu", {in}, {out});
  } else if (act == "Relu6") {
    // OpenCV 4.6 reads only the attribute form of Clip (opset 6), not the opset-11 inputs.
    auto* c = add_node("Clip", {in}, {out});
    attr_float(c, "min", 0.f);
    attr_float(c, "max", 6.f);
  } else if (act == "Sigmoid") {
    add_node("Sigmoid", {in}, {out});
  } else if (act == "Tanh") {
    add_node("Tanh", {in}, {out});
  } else if (act == "Elu") {
    add_node("Elu", {in}, {out});
  } else if (act == "LeakyRelu") {
    auto* l = add_node("LeakyRelu", {in}, {out});
    attr_float(l, "alpha",
               float(attr_f(n, n.op == "LeakyRelu" ? "alpha" : "leakyrelu_alpha", 0.2)));
  } else {
    return make_error("unsupported fused activation " + act + " (node " + n.name + ")");
  }
  return Ok{};
}

Status Converter::convert_conv(const TfNode& n, const Inputs& in) {
  Value& x = *in.at(0);
  if (Status s = require_nhwc(n, x); !s) return s;
  auto filter_r = const_input(n, 1);
  if (!filter_r) return filter_r.error();
  const Tensor& f = filter_r.value();
  const bool depthwise = n.op.find("Depthwise") != std::string::npos;
  if (f.shape.size() != 4) return make_error(n.name + ": filter is not 4-d");
  const int64_t kh = f.shape[0], kw = f.shape[1];
  Tensor weight;
  int64_t out_channels, group = 1;
  if (depthwise) {  // [kh, kw, C, m] -> [C*m, 1, kh, kw], output channel c*m + j as TF orders it
    out_channels = f.shape[2] * f.shape[3];
    group = f.shape[2];
    weight = models::reshape(models::transpose(f, {2, 3, 0, 1}), {out_channels, 1, kh, kw});
  } else {  // HWIO -> OIHW
    out_channels = f.shape[3];
    weight = models::transpose(f, {3, 2, 0, 1});
  }
  const auto strides = attr_list_i(n, "strides");
  auto dil = attr_list_i(n, "dilations");
  if (dil.empty()) dil = {1, 1, 1, 1};
  if (strides.size() != 4) return make_error(n.name + ": bad strides");
  auto w = window(n, x.shape, kh, kw, strides[1], strides[2], dil[1], dil[2]);
  if (!w) return w.error();
  std::vector<std::string> conv_in{stored(x, kNchw), initializer(weight, "weight")};
  auto activations = fused_ops(n, conv_in);
  if (!activations) return activations.error();
  std::string out = fresh("conv");
  auto* c = add_node("Conv", conv_in, {out});
  attr_ints(c, "kernel_shape", {kh, kw});
  attr_ints(c, "strides", {strides[1], strides[2]});
  attr_ints(c, "dilations", {dil[1], dil[2]});
  attr_ints(c, "pads", w->pads);
  attr_int(c, "group", group);
  for (const std::string& a : activations.value())
    if (Status s = convert_activation(a, n, out); !s) return s;
  set_dynamic(n.name, out, {x.shape[0], w->oh, w->ow, out_channels}, kNchw);
  return Ok{};
}

// x [N, K] times a constant weight [K, M] (plus bias and activations when fused) becomes ONNX Gemm
// with the weight stored [M, K] and transB: the form of a fully connected layer OpenCV reads as
// its InnerProduct.
Status Converter::convert_matmul(const TfNode& n, const Inputs& in) {
  Value& x = *in[0];
  if (x.is_const() || x.shape.size() != 2)
    return make_error(n.op + " " + n.name + ": only a 2-d input times a constant is supported");
  if (attr_b(n, "transpose_a"))
    return make_error(n.op + " " + n.name + ": transpose_a is not supported");
  auto w = const_input(n, 1);
  if (!w) return w.error();
  if (w->shape.size() != 2) return make_error(n.name + ": weight is not 2-d");
  // Stored [M, K]: TF's [K, M] transposed, or as it is when TF already multiplies by its transpose.
  const Tensor weight = attr_b(n, "transpose_b") ? w.value() : models::transpose(w.value(), {1, 0});
  if (weight.shape[1] != x.shape[1])
    return make_error(n.name + ": weight " + str(w->shape) + " does not fit input " + str(x.shape));
  std::vector<std::string> gemm_in{stored(x, identity(2)), initializer(weight, "weight")};
  auto activations = fused_ops(n, gemm_in);
  if (!activations) return activations.error();
  std::string out = fresh("gemm");
  attr_int(add_node("Gemm", gemm_in, {out}), "transB", 1);
  for (const std::string& a : activations.value())
    if (Status s = convert_activation(a, n, out); !s) return s;
  set_dynamic(n.name, out, {x.shape[0], weight.shape[0]}, identity(2));
  return Ok{};
}

Status Converter::convert_conv_transpose(const TfNode& n, const Inputs& in) {
  auto out_shape = const_input(n, 0);
  auto filter = const_input(n, 1);
  if (!out_shape) return out_shape.error();
  if (!filter) return filter.error();
  Value& x = *in.at(2);
  if (Status s = require_nhwc(n, x); !s) return s;
  const Tensor& f = filter.value();  // [kh, kw, out, in] -> [in, out, kh, kw]
  const int64_t kh = f.shape[0], kw = f.shape[1];
  const auto strides = attr_list_i(n, "strides");
  Shape os;
  for (int64_t k = 0; k < out_shape->size(); ++k) os.push_back(int64_t(out_shape->at(k)));
  if (os.size() != 4 || strides.size() != 4)
    return make_error(n.name + ": bad output shape or strides");
  auto pads = [&](int64_t in_size, int64_t k, int64_t s, int64_t out) {
    const int64_t total = std::max<int64_t>((in_size - 1) * s + k - out, 0);
    return std::pair<int64_t, int64_t>{total / 2, total - total / 2};
  };
  const auto [t, b] = pads(x.shape[1], kh, strides[1], os[1]);
  const auto [l, r] = pads(x.shape[2], kw, strides[2], os[2]);
  const std::string out = fresh("deconv");
  auto* c = add_node("ConvTranspose",
                     {stored(x, kNchw), initializer(models::transpose(f, {3, 2, 0, 1}), "weight")},
                     {out});
  attr_ints(c, "kernel_shape", {kh, kw});
  attr_ints(c, "strides", {strides[1], strides[2]});
  attr_ints(c, "pads", {t, l, b, r});
  set_dynamic(n.name, out, os, kNchw);
  return Ok{};
}

Status Converter::convert_elementwise(const TfNode& n, const Inputs& in) {
  static const std::map<std::string, std::pair<std::string, std::function<double(double, double)>>>
      kOps = {
          {"Add", {"Add", std::plus<double>()}},
          {"AddV2", {"Add", std::plus<double>()}},
          {"BiasAdd", {"Add", std::plus<double>()}},
          {"AddN", {"Add", std::plus<double>()}},
          {"Sub", {"Sub", std::minus<double>()}},
          {"Mul", {"Mul", std::multiplies<double>()}},
          {"RealDiv", {"Div", std::divides<double>()}},
          {"Maximum", {"Max", [](double a, double b) { return std::max(a, b); }}},
          {"Minimum", {"Min", [](double a, double b) { return std::min(a, b); }}},
      };
  const auto& [onnx_op, fn] = kOps.at(n.op);
  // Constants fold; a dynamic operand fixes the layout the others are brought to.
  const Value* lead = nullptr;
  Shape shape;
  for (const Value* v : in) {
    shape = shape.empty() ? v->shape : models::broadcast_shapes(shape, v->shape);
    if (!v->is_const() && (!lead || v->shape.size() > lead->shape.size())) lead = v;
  }
  if (!lead) {
    Tensor acc = *in[0]->constant;
    for (size_t k = 1; k < in.size(); ++k) acc = models::fold_binary(acc, *in[k]->constant, fn);
    set_const(n.name, std::move(acc));
    return Ok{};
  }
  if (lead->shape.size() != shape.size())
    return make_error(n.op + " " + n.name +
                      ": broadcasting a tensor to a higher rank is not supported");
  const Perm perm = lead->perm;
  // max(x, c) / min(x, c) with a scalar c: OpenCV 4.6 reads Max/Min only between two computed
  // tensors, so the bound becomes a one-sided Clip (attribute form, as for Relu6).
  if ((n.op == "Maximum" || n.op == "Minimum") && in.size() == 2) {
    const Value* c = in[0]->is_const() ? in[0] : in[1]->is_const() ? in[1] : nullptr;
    if (c && c->constant->size() == 1) {
      const std::string out = fresh("clip");
      auto* clip = add_node("Clip", {stored(const_cast<Value&>(*lead), perm)}, {out});
      attr_float(clip, n.op == "Maximum" ? "min" : "max", float(c->constant->at(0)));
      set_dynamic(n.name, out, shape, perm);
      return Ok{};
    }
  }
  auto operand = [&](Value* v) {
    return v->is_const() ? broadcast_const(*v->constant, shape.size(), perm) : stored(*v, perm);
  };
  std::string acc = operand(in[0]);
  for (size_t k = 1; k < in.size(); ++k) {
    const std::string out = fresh(onnx_op);
    add_node(onnx_op, {acc, operand(in[k])}, {out});
    acc = out;
  }
  set_dynamic(n.name, acc, shape, perm);
  return Ok{};
}

Status Converter::convert_pool(const TfNode& n, Value& x) {
  if (Status s = require_nhwc(n, x); !s) return s;
  const auto k = attr_list_i(n, "ksize");
  const auto s = attr_list_i(n, "strides");
  if (k.size() != 4 || s.size() != 4) return make_error(n.name + ": bad ksize or strides");
  auto w = window(n, x.shape, k[1], k[2], s[1], s[2], 1, 1);
  if (!w) return w.error();
  const std::string out = fresh("pool");
  const bool global = n.op == "AvgPool" && k[1] == x.shape[1] && k[2] == x.shape[2] &&
                      attr_s(n, "padding") == "VALID";
  if (global) {
    add_node("GlobalAveragePool", {stored(x, kNchw)}, {out});
  } else {
    auto* p = add_node(n.op == "MaxPool" ? "MaxPool" : "AveragePool", {stored(x, kNchw)}, {out});
    attr_ints(p, "kernel_shape", {k[1], k[2]});
    attr_ints(p, "strides", {s[1], s[2]});
    attr_ints(p, "pads", w->pads);
    if (n.op == "AvgPool") attr_int(p, "count_include_pad", 0);  // TF averages real pixels only
  }
  set_dynamic(n.name, out, {x.shape[0], w->oh, w->ow, x.shape[3]}, kNchw);
  return Ok{};
}

Status Converter::convert_resize(const TfNode& n, const Inputs& in) {
  Value& x = *in.at(0);
  if (x.shape.size() != 4) return make_error(n.name + ": resize input is not 4-d");
  auto size = const_input(n, 1);
  if (!size) return size.error();
  int64_t h = int64_t(size->at(0)), w = int64_t(size->at(1));
  // At another input size a resize keeps its scale factors.
  if (const Shape* x0 = original_shape(n.inputs[0]); x0 && x0->size() == 4 && *x0 != x.shape) {
    if ((h * x.shape[1]) % (*x0)[1] || (w * x.shape[2]) % (*x0)[2])
      return make_error(n.name + ": resize to a fractional size at this input size");
    h = h * x.shape[1] / (*x0)[1];
    w = w * x.shape[2] / (*x0)[2];
  }
  const std::string out = fresh("resize");
  auto* r = add_node("Resize",
                     {stored(x, kNchw), float_initializer({}, {0}), float_initializer({}, {0}),
                      int_initializer({x.shape[0], x.shape[3], h, w})},
                     {out});
  const bool align = attr_b(n, "align_corners"), half = attr_b(n, "half_pixel_centers");
  attr_string(r, "coordinate_transformation_mode",
              align  ? "align_corners"
              : half ? "half_pixel"
                     : "asymmetric");
  if (n.op == "ResizeBilinear") {
    attr_string(r, "mode", "linear");
  } else {
    attr_string(r, "mode", "nearest");
    attr_string(r, "nearest_mode", half ? "round_prefer_ceil" : "floor");
  }
  set_dynamic(n.name, out, {x.shape[0], h, w, x.shape[3]}, kNchw);
  return Ok{};
}

Status Converter::convert_concat(const TfNode& n, const Inputs& in) {
  auto axis_t = const_input(n, n.inputs.size() - 1);
  if (!axis_t) return axis_t.error();
  if (in.size() < 2) return make_error("ConcatV2 " + n.name + " needs values and an axis");
  Inputs parts(in.begin(), in.end() - 1);
  const size_t rank = parts[0]->shape.size();
  if (rank == 0) return make_error("ConcatV2 " + n.name + " on scalars is not supported");
  const int64_t axis = (int64_t(axis_t->at(0)) + rank) % rank;
  Shape shape = parts[0]->shape;
  shape[axis] = 0;
  for (const Value* v : parts) shape[axis] += v->shape[axis];
  const Value* lead = nullptr;
  for (const Value* v : parts)
    if (!v->is_const()) lead = lead ? lead : v;
  if (!lead) return make_error("ConcatV2 " + n.name + " of constants is not supported");
  const Perm perm = lead->perm;
  std::vector<std::string> names;
  for (Value* v : parts) names.push_back(stored(*v, perm));
  const std::string out = fresh("concat");
  auto* c = add_node("Concat", names, {out});
  attr_int(c, "axis", std::find(perm.begin(), perm.end(), int(axis)) - perm.begin());
  set_dynamic(n.name, out, shape, perm);
  return Ok{};
}

Status Converter::convert_split(const TfNode& n, Value& x, const Tensor& sizes, int64_t axis) {
  axis = (axis + int64_t(x.shape.size())) % int64_t(x.shape.size());
  std::vector<int64_t> split;
  for (int64_t k = 0; k < sizes.size(); ++k) split.push_back(int64_t(sizes.at(k)));
  std::vector<std::string> outs;
  for (size_t k = 0; k < split.size(); ++k) outs.push_back(fresh("split"));
  auto* s = add_node("Split", {stored(x, x.perm)}, outs);
  attr_int(s, "axis", std::find(x.perm.begin(), x.perm.end(), int(axis)) - x.perm.begin());
  attr_ints(s, "split", split);
  const Perm perm = x.perm;
  const Shape base = x.shape;
  for (size_t k = 0; k < split.size(); ++k) {
    Shape shape = base;
    shape[axis] = split[k];
    set_dynamic(k == 0 ? n.name : n.name + ":" + std::to_string(k), outs[k], shape, perm);
  }
  return Ok{};
}

Status Converter::convert_pad(const TfNode& n, const Inputs& in) {
  Value& x = *in.at(0);
  auto paddings = const_input(n, 1);
  if (!paddings) return paddings.error();
  const size_t rank = x.shape.size();
  if (paddings->size() != int64_t(2 * rank))
    return make_error(n.name + ": paddings do not match the rank");
  float value = 0.f;
  if (n.op == "PadV2") {
    auto v = const_input(n, 2);
    if (!v) return v.error();
    value = float(v->at(0));
  }
  std::vector<int64_t> pads(2 * rank);
  Shape shape = x.shape;
  for (size_t j = 0; j < rank; ++j) {  // stored axis j is TF axis perm[j]
    const int a = x.perm[j];
    pads[j] = int64_t(paddings->at(2 * a));
    pads[j + rank] = int64_t(paddings->at(2 * a + 1));
  }
  for (size_t a = 0; a < rank; ++a)
    shape[a] += int64_t(paddings->at(2 * a)) + int64_t(paddings->at(2 * a + 1));
  const std::string out = fresh("pad");
  auto* p = add_node(
      "Pad", {stored(x, x.perm), int_initializer(pads), float_initializer({value}, {})}, {out});
  attr_string(p, "mode", "constant");
  set_dynamic(n.name, out, shape, x.perm);
  return Ok{};
}

}  // namespace

Result<OnnxModel> convert_tfjs_to_onnx(const std::filesystem::path& model_json,
                                       const ConvertOptions& options) {
  auto graph = models::load_tfjs_graph(model_json);
  if (!graph) return graph.error();
  std::vector<std::string> outputs =
      options.outputs.empty() ? graph->output_names : options.outputs;
  if (outputs.empty())
    return make_error(model_json.string() + " names no outputs; give them explicitly");
  try {
    if (options.input_shape.empty()) return Converter(graph.value()).run(outputs);
    Converter first(graph.value());
    if (auto r = first.run(outputs); !r) return r.error();
    const auto original = first.shapes();
    return Converter(graph.value(), {options.input_shape, &original}).run(outputs);
  } catch (const std::exception& e) {
    return make_error("cannot convert " + model_json.string() + ": " + e.what());
  }
}

}  // namespace la3d

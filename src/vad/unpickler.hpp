#pragma once
// The subset of Python's pickle protocol (0-5 opcodes) that `torch.save` state dicts use, with the
// objects a checkpoint holds turned into plain values: dicts (OrderedDict included), tuples, lists,
// scalars, storages and tensors. Any other object becomes an opaque value named by its class, so
// a checkpoint with extras (optimizer state, arguments) still reads.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "la3d/result.hpp"

namespace la3d {

struct PyValue;
using PyRef = std::shared_ptr<PyValue>;

struct PyValue {
  enum class Kind {
    None,
    Bool,
    Int,
    Float,
    Str,
    Bytes,
    Tuple,
    List,
    Dict,
    Global,
    Storage,
    Tensor,
    Opaque
  };
  Kind kind = Kind::None;
  int64_t i = 0;  // Int, Bool; Storage: element count; Tensor: storage offset
  double f = 0;
  std::string s;             // Str, Bytes; Global and Opaque: "module.name"; Storage: its key
  std::string dtype;         // Storage
  std::vector<PyRef> items;  // Tuple, List; Tensor: {storage}
  std::vector<std::pair<PyRef, PyRef>> dict;  // Dict, insertion order
  std::vector<int64_t> shape, stride;         // Tensor
};

// Runs the pickle that starts at `pos`; on success `pos` is just past its STOP.
Result<PyRef> unpickle(std::string_view bytes, size_t& pos);

}  // namespace la3d

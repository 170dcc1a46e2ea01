#pragma once
// The subset of Python's pickle protocol (0-5 opcodes) that `torch.save` state dicts use, with the
// objects a checkpoint holds turned into plain values: dicts (OrderedDict included), tuples, lists,
// scalars, storages and tensors. Any other object becomes an opaque value named by its class, so
// a checkpoint with extras (optimizer state, arguments) still reads.
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "la3d/core/result.hpp"

namespace la3d {

struct PyValue;
// Values refer to each other by plain pointers into a PyArena that owns them all. A pickle may
// build cycles (a list appended to itself through the memo) or nest 200k lists deep: with owning
// pointers the first leaks and the second overflows the stack in the destructor chain; an arena
// frees either in one flat pass.
using PyRef = PyValue*;

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

// Owns the values of one or more unpickle() calls; they live as long as the arena.
class PyArena {
 public:
  // More values than any checkpoint holds (a state dict of 1000 tensors is about 10k): the cap
  // keeps a hostile pickle from taking the machine's memory with tiny opcodes.
  static constexpr size_t kMaxValues = size_t(1) << 20;
  // nullptr when the arena is full.
  PyRef make(PyValue::Kind kind);

 private:
  std::deque<PyValue> values_;  // a deque never moves what it holds
};

// Runs the pickle that starts at `pos`; on success `pos` is just past its STOP.
Result<PyRef> unpickle(std::string_view bytes, size_t& pos, PyArena& arena);

}  // namespace la3d

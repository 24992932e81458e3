/*
 * run_model: run a model exported by xunity from plain C, no Python.
 *
 *   cc -I "$(python -c 'import xunity.runtime.export as e; print(e.INCLUDE_DIR)')" \
 *      -o run_model examples/c/run_model.c -ldl
 *   ./run_model mlp.so 3
 *
 * The library is examples/c/mlp.mlir compiled with its weights baked in:
 * main(x: f32[n, 16]) -> f32[n, 4].  The input is x[i] = ((i % 13) - 6) / 4
 * over the n * 16 elements in row-major order.  Prints the library's
 * metadata, the n rows of the tensor `main` returns (`y <row>: <4 values>`),
 * whether `main_out` (destination passing, into our own buffer) computes the
 * same numbers, then the outcome of a deliberately wrong call
 * (`wrong call: <code>: <message>`).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xunity_runtime.h"

enum { IN_FEATURES = 16, OUT_FEATURES = 4 };

/* A compact row-major float32 CPU tensor over `data` (strides NULL). */
static DLTensor f32_tensor(float* data, int32_t ndim, int64_t* shape) {
  DLTensor tensor = {0};
  tensor.data = data;
  tensor.device.device_type = kDLCPU;
  tensor.device.device_id = 0;
  tensor.ndim = ndim;
  tensor.dtype.code = kDLFloat;
  tensor.dtype.bits = 32;
  tensor.dtype.lanes = 1;
  tensor.shape = shape;
  tensor.strides = NULL;
  tensor.byte_offset = 0;
  return tensor;
}

static TVMFFIAny tensor_arg(DLTensor* tensor) {
  TVMFFIAny any = {0};
  any.type_index = kTVMFFIDLTensorPtr;
  any.v_ptr = tensor;
  return any;
}

/* `main` takes the input and returns the output tensor in *result. */
static int32_t call_main(XUPackedFunc main_fn, DLTensor* x, TVMFFIAny* result) {
  TVMFFIAny args[1] = {tensor_arg(x)};
  memset(result, 0, sizeof(*result));
  result->type_index = kTVMFFINone;
  return main_fn(NULL, args, 1, result);
}

/* `main_out`: destination passing, the inputs then the outputs. */
static int32_t call_main_out(XUPackedFunc main_out, DLTensor* x, DLTensor* y) {
  TVMFFIAny args[2] = {tensor_arg(x), tensor_arg(y)};
  TVMFFIAny result = {0};
  result.type_index = kTVMFFINone;
  return main_out(NULL, args, 2, &result);
}

static void* symbol(void* library, const char* name) {
  void* address = dlsym(library, name);
  if (address == NULL) {
    fprintf(stderr, "run_model: the library has no symbol %s\n", name);
    exit(1);
  }
  return address;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s <library.so> [n]\n", argv[0]);
    return 2;
  }
  int64_t n = argc > 2 ? atoll(argv[2]) : 3;
  void* library = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (library == NULL) {
    fprintf(stderr, "run_model: %s\n", dlerror());
    return 1;
  }
  /* Casting dlsym's void* to a function pointer is how POSIX does it. */
  XUModuleMetadataFunc metadata = (XUModuleMetadataFunc)symbol(library, "XUModuleMetadata");
  XUGetLastErrorFunc last_error = (XUGetLastErrorFunc)symbol(library, "XUGetLastError");
  XUObjectDecRefFunc decref = (XUObjectDecRefFunc)symbol(library, "XUObjectDecRef");
  XUPackedFunc main_fn = (XUPackedFunc)symbol(library, XU_PACKED_SYMBOL_PREFIX "main");
  XUPackedFunc main_out =
      (XUPackedFunc)symbol(library, XU_PACKED_SYMBOL_PREFIX "main" XU_DESTINATION_SUFFIX);
  printf("metadata: %s\n", metadata());

  float* x = malloc(sizeof(float) * (size_t)(n * IN_FEATURES + 1));
  float* y_own = malloc(sizeof(float) * (size_t)(n * OUT_FEATURES + 1));
  if (x == NULL || y_own == NULL) {
    fprintf(stderr, "run_model: out of memory\n");
    return 1;
  }
  for (int64_t i = 0; i < n * IN_FEATURES; ++i) x[i] = (float)((i % 13) - 6) / 4.0f;
  int64_t x_shape[2] = {n, IN_FEATURES};
  int64_t y_shape[2] = {n, OUT_FEATURES};
  DLTensor x_tensor = f32_tensor(x, 2, x_shape);

  TVMFFIAny result;
  int32_t code = call_main(main_fn, &x_tensor, &result);
  if (code != 0 || result.type_index != kTVMFFITensor) {
    fprintf(stderr, "run_model: main failed (%d): %s\n", code, last_error());
    return 1;
  }
  /* The library allocated y (n x 4, compact, 64-byte aligned); we own it. */
  DLTensor* y_tensor = XUTensorDLTensor(result.v_obj);
  const float* y = (const float*)y_tensor->data;
  for (int64_t row = 0; row < y_tensor->shape[0]; ++row) {
    printf("y %lld:", (long long)row);
    for (int col = 0; col < OUT_FEATURES; ++col) {
      printf(" %.9g", (double)y[row * OUT_FEATURES + col]);
    }
    printf("\n");
  }

  DLTensor y_own_tensor = f32_tensor(y_own, 2, y_shape);
  code = call_main_out(main_out, &x_tensor, &y_own_tensor);
  int same = code == 0 && memcmp(y, y_own, sizeof(float) * (size_t)(n * OUT_FEATURES)) == 0;
  printf("main_out matches: %s\n", same ? "yes" : "no");
  decref(result.v_obj); /* frees y */

  /* A deliberately wrong call: x claims 15 features instead of 16. */
  int64_t bad_shape[2] = {n, IN_FEATURES - 1};
  DLTensor bad_x = f32_tensor(x, 2, bad_shape);
  code = call_main(main_fn, &bad_x, &result);
  printf("wrong call: %d: %s\n", code, code != 0 ? last_error() : "(accepted?)");

  free(x);
  free(y_own);
  /* No dlclose: the library's thread-pool workers run its code until exit. */
  return 0;
}

/*
 * xunity_runtime.h: the C ABI of shared libraries exported by xunity.
 *
 * A library made by `Executable.export_library(path)` exports, for every
 * compiled function <name>, a packed entry point with the C ABI of
 * apache-tvm-ffi:
 *
 *   int32_t __tvm_ffi_<name>(void* self, const TVMFFIAny* args,
 *                            int32_t num_args, TVMFFIAny* result);
 *
 * A graph function <name> takes its input tensors (DLPack DLTensors) and
 * returns its results in *result: one result as a kTVMFFITensor object,
 * several as a kTVMFFIArray of them, allocated by the library's runtime and
 * owned by the caller (release with XUObjectDecRef).  __tvm_ffi_<name>_out
 * takes the inputs then caller-allocated outputs (destination passing).
 * Kernels take inputs then outputs.  A non-zero return means the call was
 * rejected or failed; the message is XUGetLastError() (and is raised
 * through tvm-ffi when it is loaded).  The full contract (argument checks,
 * shapes, results, threads, metadata) is docs/abi.md.
 *
 * The DLPack and TVMFFIAny declarations below are ABI-identical subsets of
 * <dlpack/dlpack.h> and <tvm/ffi/c_api.h>.  To use those headers instead,
 * include them BEFORE this one; their include guards switch the subsets off.
 */
#ifndef XUNITY_RUNTIME_H_
#define XUNITY_RUNTIME_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ DLPack subset */
#ifndef DLPACK_DLPACK_H_
/*! Device types; xunity libraries accept CPU tensors only. */
typedef enum { kDLCPU = 1 } DLDeviceType;

typedef struct {
  DLDeviceType device_type;
  int32_t device_id;
} DLDevice;

/*! Type codes used by xunity: int8/32/64, float16/32, bfloat16, bool (1 byte). */
typedef enum {
  kDLInt = 0,
  kDLUInt = 1,
  kDLFloat = 2,
  kDLBfloat = 4,
  kDLBool = 6
} DLDataTypeCode;

typedef struct {
  uint8_t code;   /*!< a DLDataTypeCode */
  uint8_t bits;   /*!< 32 for float32; 8 for bool */
  uint16_t lanes; /*!< always 1 */
} DLDataType;

typedef struct {
  void* data;           /*!< non-null, also for 0-size tensors */
  DLDevice device;      /*!< {kDLCPU, 0} */
  int32_t ndim;
  DLDataType dtype;
  int64_t* shape;       /*!< ndim sizes */
  int64_t* strides;     /*!< NULL (compact row-major) or compact row-major, in elements */
  uint64_t byte_offset; /*!< added to data */
} DLTensor;
#endif /* DLPACK_DLPACK_H_ */

/* ------------------------------------------------------- tvm-ffi subset */
#ifndef TVM_FFI_C_API_H_
/*! Type indices of the TVMFFIAny values xunity reads or writes. */
enum {
  kTVMFFINone = 0,
  kTVMFFIInt = 1,
  kTVMFFIDLTensorPtr = 7, /*!< v_ptr is a DLTensor* */
  kTVMFFIStaticObjectBegin = 64,
  kTVMFFITensor = 70, /*!< v_obj is a Tensor object: TVMFFIObject, then a DLTensor */
  kTVMFFIArray = 71   /*!< v_obj is an Array object: TVMFFIObject, then a TVMFFISeqCell */
};

/*! The header of every reference-counted object (24 bytes). */
typedef struct {
  uint64_t combined_ref_count; /*!< strong count in the low 32 bits, weak in the high */
  int32_t type_index;
  uint32_t __padding;
  union {
    void (*deleter)(void* self, int flags);
    int64_t __ensure_align;
  };
} TVMFFIObject;

/*! What follows the header of an Array: its items are `size` TVMFFIAny at `data`. */
typedef struct {
  void* data;
  int64_t size;
  int64_t capacity;
  void (*data_deleter)(void*);
} TVMFFISeqCell;

/*! One packed argument or result: 16 bytes. */
typedef struct {
  int32_t type_index;
  uint32_t zero_padding; /*!< must be 0 */
  union {
    int64_t v_int64;
    double v_float64;
    void* v_ptr;
    TVMFFIObject* v_obj;
  };
} TVMFFIAny;
#endif /* TVM_FFI_C_API_H_ */

/*! The DLTensor of a kTVMFFITensor object (it follows the object header). */
static inline DLTensor* XUTensorDLTensor(void* tensor) {
  return (DLTensor*)((char*)tensor + sizeof(TVMFFIObject));
}

/*! The items of a kTVMFFIArray object; stores their number in *size. */
static inline const TVMFFIAny* XUArrayItems(void* array, int64_t* size) {
  const TVMFFISeqCell* cell = (const TVMFFISeqCell*)((char*)array + sizeof(TVMFFIObject));
  *size = cell->size;
  return (const TVMFFIAny*)cell->data;
}

/* ------------------------------------------------------- packed functions */
/*! Prefix of every packed entry point: "__tvm_ffi_" + function name. */
#define XU_PACKED_SYMBOL_PREFIX "__tvm_ffi_"
/*! Suffix of a graph function's destination-passing entry point. */
#define XU_DESTINATION_SUFFIX "_out"

/*!
 * The packed calling convention (tvm-ffi's TVMFFISafeCallType).
 * `self` is unused (pass NULL); set result->type_index to kTVMFFINone before
 * the call.  A graph function stores its results there (kTVMFFITensor, or
 * kTVMFFIArray for several; the caller owns that reference); kernels and
 * `_out` entries leave it None.  Returns 0 on success, -1 on failure with
 * the message in XUGetLastError() (and nothing allocated).
 */
typedef int32_t (*XUPackedFunc)(void* self, const TVMFFIAny* args,
                                int32_t num_args, TVMFFIAny* result);

/* ---------------------------------------------------- runtime services */
/*!
 * The message of this thread's last failed call ("" if none), valid until
 * this thread's next failing call.  Never NULL.
 */
const char* XUGetLastError(void);

/*! Replace this thread's last-error message (copied, truncated to 1023 bytes). */
void XUSetLastError(const char* message);

/*! `nbytes` bytes aligned to max(align, 64); NULL when out of memory. */
void* XUAlloc(int64_t nbytes, int64_t align);

/*! Release memory from XUAlloc (NULL is allowed). */
void XUFree(void* ptr);

/*!
 * Scratch memory from this thread's arena (aligned to max(align, 64)),
 * falling back to XUAlloc when it does not fit; NULL when out of memory.
 * Free in reverse order of allocation, on the allocating thread.
 */
void* XUWorkspaceAlloc(int64_t nbytes, int64_t align);
void XUWorkspaceFree(void* ptr);

/*!
 * A new compact CPU tensor object (one reference), its data 64-byte aligned
 * and uninitialised; NULL when out of memory or the size overflows.
 */
void* XUTensorCreate(int32_t ndim, const int64_t* shape, DLDataType dtype);

/*! A new Array object holding `size` objects, whose references it takes over. */
void* XUArrayCreate(int64_t size, void* const* items);

/*! tvm-ffi reference counting for the objects a library returns (NULL is allowed). */
void XUObjectIncRef(void* obj);
void XUObjectDecRef(void* obj);

/*!
 * Threads a parallel region of this library may use, from its next launch on;
 * n <= 0 returns to the default, counts above 64 are clamped.  The default is
 * $XUNITY_NUM_THREADS if it is a positive number, else the CPUs the process
 * may use: its affinity mask, capped by its cgroup CPU quota (rounded up).
 * The library's thread pool survives fork(): a child forked at any time
 * starts workers of its own on its first parallel launch.
 */
void XUSetNumThreads(int32_t n);
int32_t XUGetNumThreads(void);

/* ---------------------------------------------------------------- metadata */
/*!
 * A NUL-terminated JSON description of the library's functions (also the
 * global `__xunity_metadata`):
 *
 *   {"format": "xunity.module", "version": 2, "functions": [
 *     {"name": "main", "symbol": "__tvm_ffi_main",
 *      "destination_symbol": "__tvm_ffi_main_out", "kind": "graph",
 *      "inputs":  [{"dtype": "float32", "shape": ["n", "16"],
 *                   "type": "!graph.tensor<[n, 16], f32>"}],
 *      "outputs": [{"dtype": "float32", "shape": ["n", "4"], "type": "..."}]},
 *     {"name": "graph_add_0", "symbol": "__tvm_ffi_graph_add_0", "kind": "kernel"}]}
 */
const char* XUModuleMetadata(void);

/* Function pointer types, for hosts that dlopen a library. */
typedef const char* (*XUGetLastErrorFunc)(void);
typedef const char* (*XUModuleMetadataFunc)(void);
typedef void (*XUObjectDecRefFunc)(void* obj);

#ifdef __cplusplus
}
#endif

#endif /* XUNITY_RUNTIME_H_ */

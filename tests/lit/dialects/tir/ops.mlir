// RUN: xunity-opt %s | xunity-opt | filecheck %s
// RUN: xunity-opt %s --print-op-generic | xunity-opt | filecheck %s

// CHECK-LABEL: func.func @matmul
func.func @matmul(%A: memref<?x?xf32>, %B: memref<?x?xf32>, %C: memref<?x?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %A, %c0 : memref<?x?xf32>
  %kk = memref.dim %A, %c1 : memref<?x?xf32>
  %m = memref.dim %B, %c1 : memref<?x?xf32>
  // CHECK: tir.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} parallel {
  tir.for %i = %c0 to %n step %c1 parallel {
    // CHECK-NEXT: tir.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} serial {
    tir.for %j = %c0 to %m step %c1 serial {
      // CHECK-NEXT: tir.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} serial {
      tir.for %k = %c0 to %kk step %c1 serial {
        // CHECK-NEXT: tir.block "C" (%[[VI:.*]] = spatial %[[I]] < %{{.*}}, %[[VJ:.*]] = spatial %[[J]] < %{{.*}}, %[[VK:.*]] = reduce %[[K]] < %{{.*}}) reads(%{{.*}}, %{{.*}} : memref<?x?xf32>, memref<?x?xf32>) writes(%{{.*}} : memref<?x?xf32>) init {
        tir.block "C" (%vi = spatial %i < %n, %vj = spatial %j < %m, %vk = reduce %k < %kk) reads(%A, %B : memref<?x?xf32>, memref<?x?xf32>) writes(%C : memref<?x?xf32>) init {
          // CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
          %zero = arith.constant 0.0 : f32
          // CHECK-NEXT: tir.store %[[ZERO]], %{{.*}}[%[[VI]], %[[VJ]]] : memref<?x?xf32>
          tir.store %zero, %C[%vi, %vj] : memref<?x?xf32>
          // An explicit tir.yield terminator parses; the custom printer elides it.
          tir.yield
        // CHECK-NEXT: } {
        } {
          // CHECK-NEXT: %[[AV:.*]] = tir.load %{{.*}}[%[[VI]], %[[VK]]] : memref<?x?xf32>
          %a = tir.load %A[%vi, %vk] : memref<?x?xf32>
          // CHECK-NEXT: %[[BV:.*]] = tir.load %{{.*}}[%[[VK]], %[[VJ]]] : memref<?x?xf32>
          %b = tir.load %B[%vk, %vj] : memref<?x?xf32>
          // CHECK-NEXT: %[[CV:.*]] = tir.load %{{.*}}[%[[VI]], %[[VJ]]] : memref<?x?xf32>
          %c = tir.load %C[%vi, %vj] : memref<?x?xf32>
          // CHECK-NEXT: %[[PROD:.*]] = arith.mulf %[[AV]], %[[BV]] : f32
          %prod = arith.mulf %a, %b : f32
          // CHECK-NEXT: %[[SUM:.*]] = arith.addf %[[CV]], %[[PROD]] : f32
          %sum = arith.addf %c, %prod : f32
          // CHECK-NEXT: tir.store %[[SUM]], %{{.*}}[%[[VI]], %[[VJ]]] : memref<?x?xf32>
          tir.store %sum, %C[%vi, %vj] : memref<?x?xf32>
          tir.yield
        // CHECK-NEXT: }
        }
      // CHECK-NEXT: }
      }
    // CHECK-NEXT: }
    }
  // CHECK-NEXT: }
  }
  // CHECK-NEXT: func.return
  func.return
}

// CHECK-LABEL: func.func @scaled_relu
func.func @scaled_relu(%X: memref<?x64xf32>, %Y: memref<?x64xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c64 = arith.constant 64 : index
  // tir.alloc_buffer takes one size per dynamic dim, none for a static shape.
  // CHECK: %[[T:.*]] = tir.alloc_buffer(%{{.*}}) : memref<?x64xf32>
  %t = tir.alloc_buffer(%n) : memref<?x64xf32>
  // CHECK-NEXT: %[[S:.*]] = tir.alloc_buffer() : memref<8xf32>
  %s = tir.alloc_buffer() : memref<8xf32>
  // CHECK-NEXT: tir.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} serial {
  tir.for %i = %c0 to %n step %c1 serial {
    // CHECK-NEXT: tir.for %[[JO:.*]] = %{{.*}} to %{{.*}} step %{{.*}} unrolled {
    tir.for %jo = %c0 to %c64 step %c8 unrolled {
      // CHECK-NEXT: tir.for %[[JI:.*]] = %{{.*}} to %{{.*}} step %{{.*}} vectorized {
      tir.for %ji = %c0 to %c8 step %c1 vectorized {
        // CHECK-NEXT: %[[J:.*]] = arith.addi %[[JO]], %[[JI]] : index
        %j = arith.addi %jo, %ji : index
        // CHECK-NEXT: tir.block "Y" (%[[VI:.*]] = spatial %[[I]] < %{{.*}}, %[[VJ:.*]] = spatial %[[J]] < %{{.*}}) reads(%{{.*}} : memref<?x64xf32>) writes(%[[T]], %{{.*}} : memref<?x64xf32>, memref<?x64xf32>) {
        tir.block "Y" (%vi = spatial %i < %n, %vj = spatial %j < %c64) reads(%X : memref<?x64xf32>) writes(%t, %Y : memref<?x64xf32>, memref<?x64xf32>) {
          // CHECK-NEXT: tir.load
          %x = tir.load %X[%vi, %vj] : memref<?x64xf32>
          // CHECK-NEXT: arith.constant
          %zero = arith.constant 0.0 : f32
          // CHECK-NEXT: arith.maximumf
          %r = arith.maximumf %x, %zero : f32
          // CHECK-NEXT: tir.store %{{.*}}, %[[T]][%[[VI]], %[[VJ]]] : memref<?x64xf32>
          tir.store %r, %t[%vi, %vj] : memref<?x64xf32>
          // CHECK-NEXT: tir.load %[[T]]
          %u = tir.load %t[%vi, %vj] : memref<?x64xf32>
          // CHECK-NEXT: tir.store
          tir.store %u, %Y[%vi, %vj] : memref<?x64xf32>
        // CHECK-NEXT: }
        }
      }
    }
  }
  func.return
}

// CHECK-LABEL: func.func @attributes_and_empty_block
func.func @attributes_and_empty_block(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  // CHECK: tir.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} serial attributes {note = "outer"} {
  tir.for %i = %c0 to %n step %c1 serial attributes {note = "outer"} {
    // CHECK-NEXT: tir.block "root" () attributes {note = "root"} {
    tir.block "root" () attributes {note = "root"} {
      // CHECK-NEXT: %{{.*}} = tir.alloc_buffer() : memref<4xf32>
      %t = tir.alloc_buffer() : memref<4xf32>
    }
  }
  func.return
}

// The address of one element, for ops that take raw pointers (micro-kernels).
// CHECK-LABEL: func.func @access_ptr
func.func @access_ptr(%A: memref<?x64xf32>, %i: index, %j: index) -> !llvm.ptr {
  // CHECK-NEXT: %[[P:.*]] = tir.access_ptr %{{.*}}[%{{.*}}, %{{.*}}] : memref<?x64xf32>
  %p = tir.access_ptr %A[%i, %j] : memref<?x64xf32>
  // CHECK-NEXT: func.return %[[P]] : !llvm.ptr
  func.return %p : !llvm.ptr
}

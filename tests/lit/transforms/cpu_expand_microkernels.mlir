// RUN: xunity-opt %s -p cpu-expand-microkernels | filecheck %s

// A 2x32 tile: 4 accumulators carried through the k loop; per k step two B
// vectors (row k of B, at k times its stride) and one splat of A per row.
// CHECK-LABEL: func.func @tile_2x32
// CHECK: %[[ZF:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[ZV:.*]] = cpu.vbroadcast %[[ZF]] : f32 -> vector<16xf32>
// C's tile is prefetched for writing before the k loop: per row, the line at
// each vector and the one holding the last element (3 x 2 rows here).
// CHECK-COUNT-6: llvm.call_intrinsic "llvm.prefetch.p0"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (!llvm.ptr, i32, i32, i32) -> ()
// CHECK-NOT: llvm.prefetch
// CHECK: %[[ACC0:[0-9]+]], %{{.*}}, %{{.*}}, %{{.*}} = scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[A00:.*]] = %[[ZV]], %[[A01:.*]] = %[[ZV]], %[[A10:.*]] = %[[ZV]], %[[A11:.*]] = %[[ZV]])
// CHECK: %[[B0:.*]] = cpu.vload %{{.*}}[%{{.*}}] align = 4
// CHECK: %[[B1:.*]] = cpu.vload %{{.*}}[%{{.*}}] align = 4
// CHECK: %[[S0:.*]] = cpu.vbroadcast %{{.*}} : f32 -> vector<16xf32>
// CHECK-NEXT: %[[N00:.*]] = cpu.vfma %[[S0]], %[[B0]], %[[A00]]
// CHECK-NEXT: %[[N01:.*]] = cpu.vfma %[[S0]], %[[B1]], %[[A01]]
// CHECK: %[[S1:.*]] = cpu.vbroadcast %{{.*}} : f32 -> vector<16xf32>
// CHECK-NEXT: %[[N10:.*]] = cpu.vfma %[[S1]], %[[B0]], %[[A10]]
// CHECK-NEXT: %[[N11:.*]] = cpu.vfma %[[S1]], %[[B1]], %[[A11]]
// CHECK-NEXT: scf.yield %[[N00]], %[[N01]], %[[N10]], %[[N11]]
// A full tile goes straight to C, adding C's old value only when accumulating;
// an edge tile goes through the scratch tile and an element loop over rows x cols.
// CHECK: scf.if
// CHECK: %[[OLD:.*]] = cpu.vload %{{.*}}[%{{.*}}] align = 4
// CHECK-NEXT: %[[KEEP:.*]] = arith.select %{{.*}}, %[[OLD]], %[[ZV]] : vector<16xf32>
// CHECK-NEXT: %[[SUM:.*]] = arith.addf %[[ACC0]], %[[KEEP]] : vector<16xf32>
// CHECK-NEXT: cpu.vstore %[[SUM]]
// CHECK: } else {
// CHECK: cpu.vstore %[[ACC0]], %{{.*}}[%{{.*}}] align = 4
// CHECK: scf.for
// CHECK: scf.for
// CHECK: llvm.store
// CHECK-NOT: cpu.gemm_microkernel
func.func @tile_2x32(%a: !llvm.ptr, %b: !llvm.ptr, %c: !llvm.ptr, %ldc: index, %k: index, %rows: index, %cols: index, %acc: i1, %tile: !llvm.ptr) {
  cpu.gemm_microkernel %a[%ldc, %k], %b[%ldc], %c[%ldc] k %k rows %rows cols %cols accumulate %acc scratch %tile mr = 2 nr = 32 : f32
  func.return
}

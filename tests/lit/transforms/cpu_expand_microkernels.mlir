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

// -----

// A q4_1 panel: three f32 row sums carried through the loop over blocks.  Per
// block, 16 steps: one x pair splat as 32 x i16, and per 16 rows the code
// bytes widened, (byte | byte << 12) & 0x000F000F as (low, high) nibble
// pairs, the sign-extended pair products added even to odd (vpdpwssd's
// form) into i32 sums; then d (x_scale dot - x_offset) + m x_sum.
// CHECK-LABEL: func.func @quant_dot_q4_1
// CHECK: %{{.*}}, %{{.*}}, %{{.*}} = scf.for %[[BLOCK:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(
// The code bytes 4 blocks ahead are prefetched, 12 lines of a 768-byte block.
// CHECK: %[[AHEAD:.*]] = arith.addi %[[BLOCK]], %{{.*}} : index
// CHECK-COUNT-12: llvm.call_intrinsic "llvm.prefetch.p0"
// CHECK: %[[PAIR:.*]] = llvm.load %{{.*}} {alignment = 4 : i64} : !llvm.ptr -> i32
// CHECK-NEXT: %[[SPLAT:.*]] = cpu.vbroadcast %[[PAIR]] : i32 -> vector<16xi32>
// CHECK-NEXT: %[[X16:.*]] = llvm.bitcast %[[SPLAT]] : vector<16xi32> to vector<32xi16>
// CHECK-NEXT: %[[X:.*]] = llvm.sext %[[X16]] : vector<32xi16> to vector<32xi32>
// CHECK: %[[BYTES:.*]] = cpu.vload %{{.*}}[%{{.*}}] align = 1 : !llvm.ptr -> vector<16xi8>
// CHECK-NEXT: %[[WIDE:.*]] = llvm.zext %[[BYTES]] : vector<16xi8> to vector<16xi32>
// CHECK-NEXT: %[[SHIFTED:.*]] = llvm.shl %[[WIDE]], %{{.*}} : vector<16xi32>
// CHECK-NEXT: %[[SPREAD:.*]] = llvm.or %[[WIDE]], %[[SHIFTED]] : vector<16xi32>
// CHECK-NEXT: %[[NIBBLES:.*]] = llvm.and %[[SPREAD]], %{{.*}} : vector<16xi32>
// CHECK-NEXT: %[[Q16:.*]] = llvm.bitcast %[[NIBBLES]] : vector<16xi32> to vector<32xi16>
// CHECK-NEXT: %[[Q:.*]] = llvm.sext %[[Q16]] : vector<32xi16> to vector<32xi32>
// CHECK-NEXT: %[[PRODUCT:.*]] = llvm.mul %[[Q]], %[[X]] : vector<32xi32>
// CHECK-NEXT: %[[EVEN:.*]] = llvm.shufflevector %[[PRODUCT]], %[[PRODUCT]] [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30] : vector<32xi32>
// CHECK-NEXT: %[[ODD:.*]] = llvm.shufflevector %[[PRODUCT]], %[[PRODUCT]] [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31] : vector<32xi32>
// CHECK-NEXT: %[[STEP:.*]] = llvm.add %[[EVEN]], %[[ODD]] : vector<16xi32>
// CHECK: llvm.sitofp %{{.*}} : vector<16xi32> to vector<16xf32>
// CHECK: llvm.fsub
// CHECK: llvm.fpext %{{.*}} : vector<16xf16> to vector<16xf32>
// CHECK: cpu.vfma
// CHECK: llvm.fpext %{{.*}} : vector<16xf16> to vector<16xf32>
// CHECK: cpu.vfma
// CHECK: scf.yield
// CHECK-COUNT-3: cpu.vstore %{{.*}}, %{{.*}}[%{{.*}}] align = 4 : vector<16xf32>, !llvm.ptr
func.func @quant_dot_q4_1(%p: !llvm.ptr, %blocks: index) {
  cpu.quant_dot_microkernel %p, %p, %p, %p, %p, %p blocks %blocks format = "q4_1" mins %p sums %p
  func.return
}

// -----

// Activations to int16 pairs: per block of 32, two 16-lane loads, the
// largest magnitude as a signed max of the sign-cleared bits (a horizontal
// max per half, then a scalar select), x * 32767 / max rounded half away
// from zero (0.5 with the value's sign added, then truncated), the pairs
// packed and stored, and the rounded sum scaled into the q4_1 offset.
// CHECK-LABEL: func.func @quantize_pairs_q4_1
// CHECK:      scf.for %[[B:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:        %[[LO:.*]] = cpu.vload %[[X:.*]][%{{.*}}] align = 4 : !llvm.ptr -> vector<16xf32>
// CHECK:        %[[HI:.*]] = cpu.vload %[[X]][%{{.*}}] align = 4 : !llvm.ptr -> vector<16xf32>
// CHECK:        cpu.vreduce max %{{.*}} : vector<16xi32> -> i32
// CHECK:        cpu.vreduce max %{{.*}} : vector<16xi32> -> i32
// CHECK:        %[[BIGGER:.*]] = llvm.select %{{.*}}, %{{.*}}, %{{.*}} : i1, i32
// CHECK-NEXT:   %[[LARGEST:.*]] = llvm.bitcast %[[BIGGER]] : i32 to f32
// CHECK:        %[[INVERSE:.*]] = llvm.select %{{.*}}, %{{.*}}, %{{.*}} : i1, f32
// CHECK:        llvm.fmul %[[LO]], %{{.*}} : vector<16xf32>
// CHECK:        llvm_extra.fptosi %{{.*}} : vector<16xf32> to vector<16xi32>
// CHECK:        llvm.fmul %[[HI]], %{{.*}} : vector<16xf32>
// CHECK:        llvm_extra.fptosi %{{.*}} : vector<16xf32> to vector<16xi32>
// CHECK:        llvm.shl
// CHECK:        cpu.vstore %{{.*}}, %{{.*}}[%{{.*}}] align = 4 : vector<16xi32>, !llvm.ptr
// CHECK:        cpu.vreduce add %{{.*}} : vector<16xi32> -> i32
// CHECK:        llvm.fsub
// CHECK:        llvm.store
// CHECK:      }
func.func @quantize_pairs_q4_1(%x: !llvm.ptr, %sums: !llvm.ptr, %pairs: !llvm.ptr, %scales: !llvm.ptr, %offsets: !llvm.ptr, %blocks: index) {
  cpu.quantize_pairs_microkernel %x, %sums, %pairs, %scales, %offsets blocks %blocks format = "q4_1"
  func.return
}

// -----

// q4_0 needs no block sums: the offset is 8 * scale * sum(x16) only.
// CHECK-LABEL: func.func @quantize_pairs_q4_0
// CHECK:     cpu.vreduce add
// CHECK-NOT: llvm.fsub
// CHECK:     llvm.store
func.func @quantize_pairs_q4_0(%x: !llvm.ptr, %sums: !llvm.ptr, %pairs: !llvm.ptr, %scales: !llvm.ptr, %offsets: !llvm.ptr, %blocks: index) {
  cpu.quantize_pairs_microkernel %x, %sums, %pairs, %scales, %offsets blocks %blocks format = "q4_0"
  func.return
}

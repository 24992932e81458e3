"""The host CPU as an LLVM target: triple, CPU name, features, data layout.

LLVM prefers 256-bit vectors on many AVX-512 CPUs unless told otherwise;
xunity's kernels are written for 512-bit vectors, so the feature string turns
`prefer-256-bit` off.  AMX is disabled in the feature string: this VM lists
it but faults on it.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

import llvmlite.binding as llvm

_DISABLED_FEATURES = ("amx-",)
"""Feature prefixes we never enable even when the host CPU reports them."""


@functools.cache
def initialize_llvm() -> None:
    """Register the native target once (llvm.initialize() raises in llvmlite 0.50)."""
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    llvm.initialize_native_asmparser()


@dataclass(frozen=True)
class HostTarget:
    """What LLVM needs to generate code for this machine."""

    triple: str
    cpu: str
    features: str
    vector_bits: int

    @staticmethod
    @functools.cache
    def detect() -> HostTarget:
        initialize_llvm()
        features = []
        for feature in llvm.get_host_cpu_features().flatten().split(","):
            name = feature[1:]
            if feature.startswith("+") and name.startswith(_DISABLED_FEATURES):
                feature = f"-{name}"
            features.append(feature)
        vector_bits = (
            512 if "+avx512f" in features else 256 if "+avx" in features else 128
        )
        if vector_bits == 512:
            features.append("-prefer-256-bit")  # let LLVM use zmm registers
        return HostTarget(
            triple=llvm.get_process_triple(),
            cpu=llvm.get_host_cpu_name(),
            features=",".join(features),
            vector_bits=vector_bits,
        )

    @property
    def has_vector_ldexp(self) -> bool:
        """AVX-512's `vscalefps`: LLVM lowers a vector `llvm.ldexp` to it."""
        return "+avx512f" in self.features.split(",")

    @functools.cached_property
    def machine(self) -> llvm.TargetMachine:
        """A shared machine for optimisation and object emission."""
        return self.create_machine()

    def create_machine(self) -> llvm.TargetMachine:
        """A new machine; an execution engine takes ownership of the one it gets."""
        initialize_llvm()
        target = llvm.Target.from_triple(self.triple)
        return target.create_target_machine(
            cpu=self.cpu,
            features=self.features,
            opt=3,
            reloc="pic",
            codemodel="default",
        )

    @property
    def data_layout(self) -> str:
        return str(self.machine.target_data)

    def fingerprint(self) -> str:
        """A short hash that changes whenever generated code could change."""
        text = "|".join((self.triple, self.cpu, self.features, llvm_version()))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def llvm_version() -> str:
    return ".".join(map(str, llvm.llvm_version_info))
